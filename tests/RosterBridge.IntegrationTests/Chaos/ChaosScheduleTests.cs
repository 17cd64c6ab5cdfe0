using Xunit;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>The schedule is the seed's alone, and every round meets every fault.</summary>
public sealed class ChaosScheduleTests
{
    [Fact]
    public void The_same_seed_gives_the_same_steps()
    {
        var first = new ChaosSchedule(42);
        var second = new ChaosSchedule(42);
        for (var i = 0; i < 3 * first.RoundLength; i++)
        {
            Assert.Equal(first.Next(), second.Next());
        }
    }

    [Fact]
    public void Another_seed_gives_another_schedule()
    {
        var first = new ChaosSchedule(1);
        var second = new ChaosSchedule(2);
        var steps = Enumerable.Range(0, first.RoundLength).Select(_ => (first.Next(), second.Next())).ToList();
        Assert.Contains(steps, pair => pair.Item1 != pair.Item2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(123_456)]
    public void Every_round_runs_every_kind_once_with_parameters_in_range(int seed)
    {
        var schedule = new ChaosSchedule(seed);
        for (var round = 0; round < 4; round++)
        {
            var steps = Enumerable.Range(0, schedule.RoundLength).Select(_ => schedule.Next()).ToList();
            Assert.Equal(Enum.GetValues<FaultKind>().Order(), steps.Select(s => s.Kind).Order());
            Assert.All(steps, step =>
            {
                Assert.InRange(step.Down, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(7));
                Assert.InRange(step.Hold, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2));
                Assert.Equal(step.Kind is FaultKind.Burst or FaultKind.BurstDuringOutage, step.Burst >= 1000);
                Assert.True(step.Brokers is BrokerSet.Mqtt or BrokerSet.Nats or BrokerSet.Both);
                if (step.Kind is FaultKind.MqttWipe or FaultKind.NatsWipe or FaultKind.MqttKill or FaultKind.NatsKill)
                {
                    Assert.Equal(step.Kind is FaultKind.MqttWipe or FaultKind.NatsWipe, step.Wipe);
                }
            });
        }

        Assert.Equal(4 * schedule.RoundLength, schedule.Count);
    }

    [Fact]
    public void Chosen_kinds_make_the_rounds_and_kind_names_parse_back()
    {
        var schedule = new ChaosSchedule(5, [FaultKind.BridgeKill, FaultKind.MqttKill]);
        Assert.Equal(2, schedule.RoundLength);
        Assert.All(Enumerable.Range(0, 10).Select(_ => schedule.Next()), step => Assert.Contains(step.Kind, new[] { FaultKind.BridgeKill, FaultKind.MqttKill }));
        Assert.All(Enum.GetValues<FaultKind>(), kind => Assert.Equal(kind, ChaosStep.ParseKind(ChaosStep.KindName(kind))));
        Assert.Throws<ArgumentException>(() => ChaosStep.ParseKind("no-such-fault"));
    }

    [Fact]
    public void A_daemon_restart_roster_is_decided_by_its_seed()
    {
        var roster = new RosterBridge.Simulate.RosterSlot?[64];
        roster[3] = new(101, "web-01", 3);
        roster[40] = new(102, "db-primary", 1);
        Assert.Equal(ChangedRoster.From(roster, 9), ChangedRoster.From(roster, 9));
        Assert.Equal(64, ChangedRoster.From(roster, 9).Length);
    }
}
