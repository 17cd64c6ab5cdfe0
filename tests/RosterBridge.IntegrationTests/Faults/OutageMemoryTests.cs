using RosterBridge.Config;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Faults;

/// <summary>
/// Both brokers unreachable for as long as it takes while the daemon bursts: the bridge keeps
/// reading at full speed and holds only the latest state per slot, so its memory stays flat.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class OutageMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Memory_stays_flat_during_a_long_outage_while_the_daemon_bursts()
    {
        await using var harness = new BridgeHarness(null, null, output, "mem");
        await harness.StartDaemonAsync();
        harness.StartBridge(opts => opts with
        {
            // Nothing listens on port 1: every connect is refused, for the whole test.
            Mqtt = new MqttSinkOpts { Url = new BrokerUrl("127.0.0.1", 1) },
            Nats = new NatsSinkOpts { Url = new BrokerUrl("127.0.0.1", 1) },
        });
        var counters = harness.Bridge!.Counters;
        await Retry.Until(() => counters.Syncs >= 1, TimeSpan.FromSeconds(30));

        // Warm up (JIT, pools), then measure what stays alive across a burst ten times larger.
        var applied = harness.Burst(50_000, seed: 1);
        await Retry.Until(() => counters.RosterEvents >= applied, TimeSpan.FromSeconds(60));
        var before = LiveBytes();

        applied += harness.Burst(500_000, seed: 2);
        await Retry.Until(() => counters.RosterEvents >= applied, TimeSpan.FromSeconds(120), "the bridge read every event of the burst");
        var after = LiveBytes();

        output.WriteLine($"live managed memory: {before / 1024} KiB before, {after / 1024} KiB after {applied} events; pending {string.Join(", ", harness.Bridge.Sinks.Select(s => $"{s.Name} {s.Outbox.PendingCount}"))}");
        Assert.True(after - before < 1024 * 1024, $"live memory grew by {(after - before) / 1024} KiB during the outage");
        Assert.All(harness.Bridge.Sinks, sink => Assert.InRange(sink.Outbox.PendingCount, 1, 64));
        Assert.True(harness.BridgeIsRunning);
    }

    private static long LiveBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
