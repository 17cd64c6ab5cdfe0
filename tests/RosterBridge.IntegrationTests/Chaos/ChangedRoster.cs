using RosterBridge.Simulate;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>The roster a restarted daemon comes back with: most VMs kept, some changed, vacated, replaced or new.</summary>
internal static class ChangedRoster
{
    /// <summary>A changed copy of <paramref name="roster"/> (64 slots, null for vacant), decided by <paramref name="seed"/> alone.</summary>
    public static RosterSlot?[] From(IReadOnlyList<RosterSlot?> roster, int seed)
    {
        var random = new Random(seed);
        var changed = new RosterSlot?[roster.Count];
        for (var endpoint = 0; endpoint < roster.Count; endpoint++)
        {
            if (roster[endpoint] is not { } slot)
            {
                continue;
            }

            changed[endpoint] = random.Next(10) switch
            {
                < 5 => slot,
                < 7 => slot with { State = (uint)random.Next(9) },
                7 => slot with { Name = $"{slot.Name[..Math.Min(slot.Name.Length, 20)]}-r{random.Next(100)}" },
                8 => new RosterSlot((uint)random.Next(500_000, 600_000), $"moved-in-{random.Next(1000)}", 3), // changed hands
                _ => null, // gone while the daemon was down
            };
        }

        // New VMs in free slots, named as the simulator names them (long and multi-byte names included).
        var generator = new LifecycleGenerator(seed, targetVms: 0);
        generator.Resync(changed);
        foreach (var attach in generator.InitialRoster(random.Next(0, 12)))
        {
            changed[attach.Endpoint] = new RosterSlot(attach.Vmid, attach.Name!, attach.State);
        }

        return changed;
    }
}
