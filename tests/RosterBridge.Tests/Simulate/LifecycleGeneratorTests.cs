using System.Text;
using RosterBridge.Frames;
using RosterBridge.Roster;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.Tests.Simulate;

public sealed class LifecycleGeneratorTests
{
    [Fact]
    public void The_same_seed_gives_the_same_changes_and_another_seed_others()
    {
        static List<SimChange> Run(int seed)
        {
            var generator = new LifecycleGenerator(seed);
            var changes = generator.InitialRoster(12);
            for (var i = 0; i < 500; i++)
            {
                changes.Add(i % 2 == 0 ? generator.Next() : generator.NextChurn());
            }

            return changes;
        }

        Assert.Equal(Run(1234), Run(1234));
        Assert.NotEqual(Run(1234), Run(1235));
    }

    [Fact]
    public async Task Steady_changes_always_fit_the_roster_and_follow_the_vm_lifecycle()
    {
        await using var daemon = new SimulatedDaemon(new SimulatorOpts()); // not started: only its roster is used
        var generator = new LifecycleGenerator(seed: 99, targetVms: 12);
        foreach (var change in generator.InitialRoster(12))
        {
            Assert.NotEqual(0UL, daemon.TryApply(change));
        }

        Assert.Equal(12, daemon.Snapshot().Count(s => s is not null));
        var vmids = new HashSet<uint>(daemon.Snapshot().Where(s => s is not null).Select(s => s!.Vmid));
        var kinds = new Dictionary<SimChangeKind, int>();
        var transitions = new HashSet<(uint, uint)>();
        var occupancy = new List<int>();
        for (var i = 0; i < 20_000; i++)
        {
            var before = daemon.Snapshot();
            var change = generator.Next();
            Assert.NotEqual(0UL, daemon.TryApply(change)); // the generator's model matches the daemon's roster
            kinds[change.Kind] = kinds.GetValueOrDefault(change.Kind) + 1;
            switch (change.Kind)
            {
                case SimChangeKind.Attach:
                    Assert.Null(before[change.Endpoint]);
                    Assert.True(change.Vmid >= LifecycleGenerator.FirstVmid);
                    Assert.True(vmids.Add(change.Vmid), $"vmid {change.Vmid} attached twice");
                    Assert.Contains(change.State, new[] { VmState.Stopped, VmState.Running });
                    break;
                case SimChangeKind.Update when change.Name is not null:
                    Assert.Equal(before[change.Endpoint]!.State, change.State); // a rename keeps the state
                    Assert.NotEqual(before[change.Endpoint]!.Name, change.Name);
                    break;
                case SimChangeKind.Update:
                    var from = before[change.Endpoint]!.State;
                    Assert.True(LifecycleGenerator.IsSteadyTransition(from, change.State),
                        $"{VmsigWire.VmStateName(from)} -> {VmsigWire.VmStateName(change.State)}");
                    transitions.Add((from, change.State));
                    break;
                case SimChangeKind.Detach:
                    Assert.Contains(before[change.Endpoint]!.State, new[] { VmState.Stopped, VmState.Crashed });
                    break;
            }

            occupancy.Add(generator.Occupied);
        }

        Assert.All(Enum.GetValues<SimChangeKind>(), kind => Assert.True(kinds.GetValueOrDefault(kind) > 50, $"{kind}: {kinds.GetValueOrDefault(kind)}"));
        foreach (var expected in new[]
        {
            (VmState.Stopped, VmState.Starting), (VmState.Starting, VmState.Running), (VmState.Running, VmState.Paused),
            (VmState.Paused, VmState.Running), (VmState.Running, VmState.Migrating), (VmState.Migrating, VmState.Running),
            (VmState.Running, VmState.Stopping), (VmState.Stopping, VmState.Stopped), (VmState.Running, VmState.Suspended),
            (VmState.Running, VmState.Crashed),
        })
        {
            Assert.Contains(expected, transitions);
        }

        // The roster stays populated around the target, never empty, never full.
        Assert.InRange(occupancy.Skip(1000).Min(), 1, 12);
        Assert.InRange(occupancy.Skip(1000).Max(), 12, 40);
        Assert.InRange(occupancy.Average(), 8, 24);
    }

    [Fact]
    public void Steady_names_are_realistic_and_some_are_cut_inside_a_multibyte_character()
    {
        var generator = new LifecycleGenerator(seed: 5);
        var names = generator.InitialRoster(12).Select(c => c.Name!).ToList();
        for (var i = 0; i < 20_000; i++)
        {
            if (generator.Next() is { Name: { } name })
            {
                names.Add(name);
            }
        }

        Assert.Contains(names, n => n.Length <= 12 && n.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') && n.Contains('-', StringComparison.Ordinal));
        Assert.Contains("db-primary", names);
        var datum = default(RosterDatum);
        var cutClean = 0;
        var cutInside = 0;
        var multibyteWhole = 0;
        foreach (var name in names)
        {
            datum.SetName(name);
            var bytes = Encoding.UTF8.GetByteCount(name);
            if (!datum.NameTruncated)
            {
                multibyteWhole += bytes > name.Length ? 1 : 0;
                continue;
            }

            Assert.True(bytes > RosterDatum.NameMax - 1);
            if (RosterName.IncompleteTailLength(((ReadOnlySpan<byte>)datum.Name)[..(RosterDatum.NameMax - 1)]) > 0)
            {
                cutInside++;
            }
            else
            {
                cutClean++;
            }
        }

        Assert.True(cutInside > 0, "no name cut inside a multi-byte character");
        Assert.True(cutClean > 0, "no long name cut cleanly");
        Assert.True(multibyteWhole > 0, "no multi-byte name that fits");
        Assert.InRange((cutInside + cutClean) * 100 / names.Count, 5, 40);
    }

    [Fact]
    public async Task Churn_covers_every_slot_every_action_and_always_fits_the_roster()
    {
        await using var daemon = new SimulatedDaemon(new SimulatorOpts());
        var generator = new LifecycleGenerator(seed: 3);
        var endpoints = new HashSet<int>();
        var kinds = new Dictionary<SimChangeKind, int>();
        var states = new HashSet<uint>();
        for (var i = 0; i < 50_000; i++)
        {
            var change = generator.NextChurn();
            Assert.NotEqual(0UL, daemon.TryApply(change));
            endpoints.Add(change.Endpoint);
            kinds[change.Kind] = kinds.GetValueOrDefault(change.Kind) + 1;
            states.Add(change.State);
        }

        Assert.Equal(VmsigWire.EndpointCount, endpoints.Count);
        Assert.All(new[] { SimChangeKind.Attach, SimChangeKind.Update, SimChangeKind.Detach }, k => Assert.True(kinds[k] > 5_000, $"{k}: {kinds[k]}"));
        Assert.False(kinds.ContainsKey(SimChangeKind.MemCtx));
        Assert.Equal(Enumerable.Range(0, (int)VmState.Count).Select(s => (uint)s), states.Order());
        Assert.Equal(generator.Occupied, daemon.Snapshot().Count(s => s is not null));
    }

    [Fact]
    public async Task After_a_change_behind_its_back_Resync_makes_the_generator_fit_again()
    {
        await using var daemon = new SimulatedDaemon(new SimulatorOpts());
        var generator = new LifecycleGenerator(seed: 11, targetVms: 4);
        foreach (var change in generator.InitialRoster(4))
        {
            daemon.TryApply(change);
        }

        // Someone else empties the roster and attaches a VM with a high vmid.
        foreach (var endpoint in Enumerable.Range(0, VmsigWire.EndpointCount).Where(e => daemon.Snapshot()[e] is not null))
        {
            daemon.Detach(endpoint);
        }

        daemon.Attach(0, 5000, "outsider", VmState.Running);
        var refused = 0;
        for (var i = 0; i < 50 && refused == 0; i++)
        {
            refused += daemon.TryApply(generator.Next()) == 0 ? 1 : 0;
        }

        Assert.Equal(1, refused); // the stale model proposed something that no longer fits

        generator.Resync(daemon.Snapshot());
        Assert.Equal(1, generator.Occupied);
        for (var i = 0; i < 2_000; i++)
        {
            var change = generator.Next();
            Assert.NotEqual(0UL, daemon.TryApply(change));
            if (change.Kind == SimChangeKind.Attach)
            {
                Assert.True(change.Vmid > 5000);
            }
        }
    }
}
