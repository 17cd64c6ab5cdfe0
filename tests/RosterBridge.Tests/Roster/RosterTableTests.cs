using RosterBridge.Frames;
using RosterBridge.Roster;
using Xunit;
using static RosterBridge.Tests.Roster.Datums;

namespace RosterBridge.Tests.Roster;

public class RosterTableTests
{
    private static ulong Bits(params int[] slots) => slots.Aggregate(0UL, (mask, slot) => mask | (1UL << slot));

    /// <summary>A table that went through one (empty) replay, so it applies live events.</summary>
    private static RosterTable Synced(params (int Endpoint, RosterDatum Datum)[] replay)
    {
        var table = new RosterTable();
        table.BeginReplay();
        ulong seq = 1;
        foreach (var (endpoint, datum) in replay)
        {
            Assert.Equal(ApplyResult.Staged, table.Apply(Header(endpoint, seq++, replay: true), datum));
        }

        Assert.Equal(RosterTable.AllSlots, table.CompleteReplay());
        return table;
    }

    [Fact]
    public void A_replay_flagged_event_after_SYNC_cannot_roll_a_slot_back()
    {
        var table = Synced();
        Assert.Equal(ApplyResult.Changed, table.Apply(Header(5, 10), Attach(100, state: 3)));
        Assert.Equal(ApplyResult.Changed, table.Apply(Header(5, 11), Update(100, state: 4)));

        Assert.Equal(ApplyResult.Stale, table.Apply(Header(5, 10, replay: true), Attach(100, state: 3)));

        Assert.Equal(4u, table[5].Datum.State);
        Assert.Equal(ApplyResult.Changed, table.Apply(Header(5, 12, replay: true), Update(100, state: 3)));
    }

    [Fact]
    public void New_table_is_vacant_and_not_synced()
    {
        var table = new RosterTable();

        Assert.False(table.IsSynced);
        Assert.False(table.IsReplaying);
        for (var i = 0; i < RosterTable.SlotCount; i++)
        {
            Assert.False(table[i].IsOccupied);
        }
    }

    [Fact]
    public void Attach_occupies_a_vacant_slot_with_the_whole_datum()
    {
        var table = Synced();

        var result = table.Apply(Header(5, seq: 10, timestampNs: 12345), Attach(100, state: 3, name: "web-01"));

        Assert.Equal(ApplyResult.Changed, result);
        var slot = table[5];
        Assert.True(slot.IsOccupied);
        Assert.Equal(100u, slot.Datum.Vmid);
        Assert.Equal(3u, slot.Datum.State);
        Assert.Equal("web-01", NameOf(slot.Datum));
        Assert.Equal(RosterAction.Attach, slot.Action);
        Assert.Equal(10UL, slot.Seq);
        Assert.Equal(12345UL, slot.TimestampNs);
        Assert.False(table[4].IsOccupied);
        Assert.False(table[6].IsOccupied);
    }

    [Fact]
    public void Attach_replaces_the_VM_in_an_occupied_slot()
    {
        var table = Synced();
        table.Apply(Header(5, 10), Attach(100, name: "old"));

        var result = table.Apply(Header(5, 11), Attach(200, state: 2, name: "new"));

        Assert.Equal(ApplyResult.Changed, result);
        Assert.Equal(200u, table[5].Datum.Vmid);
        Assert.Equal(2u, table[5].Datum.State);
        Assert.Equal("new", NameOf(table[5].Datum));
        Assert.Equal(11UL, table[5].Seq);
    }

    [Fact]
    public void Update_changes_state_and_name()
    {
        var table = Synced();
        table.Apply(Header(7, 10), Attach(100, state: 2, name: "before"));

        var result = table.Apply(Header(7, 11), Update(100, state: 4, name: "after"));

        Assert.Equal(ApplyResult.Changed, result);
        Assert.Equal(4u, table[7].Datum.State);
        Assert.Equal("after", NameOf(table[7].Datum));
        Assert.Equal(RosterAction.Update, table[7].Action);
        Assert.Equal(11UL, table[7].Seq);
    }

    [Fact]
    public void Update_of_a_vacant_slot_occupies_it()
    {
        var table = Synced();

        var result = table.Apply(Header(9, 10), Update(300, state: 3, name: "late"));

        Assert.Equal(ApplyResult.Changed, result);
        Assert.True(table[9].IsOccupied);
        Assert.Equal(300u, table[9].Datum.Vmid);
        Assert.Equal(RosterAction.Update, table[9].Action);
    }

    [Fact]
    public void Detach_vacates_an_occupied_slot()
    {
        var table = Synced();
        table.Apply(Header(3, 10), Attach(100));

        var result = table.Apply(Header(3, 11), Detach(100));

        Assert.Equal(ApplyResult.Changed, result);
        Assert.False(table[3].IsOccupied);
        Assert.Equal(0UL, table[3].Seq);
    }

    [Fact]
    public void Detach_of_a_vacant_slot_is_unchanged()
    {
        var table = Synced();

        Assert.Equal(ApplyResult.Unchanged, table.Apply(Header(3, 10), Detach()));
        Assert.False(table[3].IsOccupied);
    }

    [Fact]
    public void Replay_is_staged_and_invisible_until_CompleteReplay()
    {
        var table = new RosterTable();
        table.BeginReplay();
        Assert.True(table.IsReplaying);

        Assert.Equal(ApplyResult.Staged, table.Apply(Header(0, 5, replay: true), Attach(10, name: "a")));
        Assert.Equal(ApplyResult.Staged, table.Apply(Header(63, 6, replay: true), Attach(20, name: "b")));
        Assert.Equal(ApplyResult.Staged, table.Apply(Header(1, 7, replay: true), Detach()));

        Assert.False(table[0].IsOccupied);
        Assert.False(table[63].IsOccupied);
        Assert.False(table.IsSynced);

        var changed = table.CompleteReplay();

        Assert.Equal(RosterTable.AllSlots, changed);
        Assert.True(table.IsSynced);
        Assert.False(table.IsReplaying);
        Assert.Equal(10u, table[0].Datum.Vmid);
        Assert.Equal(20u, table[63].Datum.Vmid);
        Assert.Equal(5UL, table[0].Seq);
        Assert.False(table[1].IsOccupied);
    }

    [Fact]
    public void Replay_staging_also_applies_transitions_in_order()
    {
        var table = new RosterTable();
        table.BeginReplay();
        table.Apply(Header(2, 1, replay: true), Attach(10, state: 2));
        table.Apply(Header(2, 2, replay: true), Update(10, state: 3));
        table.Apply(Header(4, 3, replay: true), Attach(11));
        table.Apply(Header(4, 4, replay: true), Detach(11));

        table.CompleteReplay();

        Assert.Equal(3u, table[2].Datum.State);
        Assert.Equal(RosterAction.Update, table[2].Action);
        Assert.False(table[4].IsOccupied);
    }

    [Fact]
    public void First_CompleteReplay_reports_all_64_slots_even_for_an_empty_replay()
    {
        var table = new RosterTable();
        table.BeginReplay();

        Assert.Equal(ulong.MaxValue, table.CompleteReplay());
    }

    [Fact]
    public void Slot_not_replayed_is_vacant_after_SYNC()
    {
        var table = Synced((5, Attach(100)), (6, Attach(101)));
        table.Apply(Header(7, 100), Attach(102));

        table.BeginReplay();
        table.Apply(Header(6, 1, replay: true), Attach(101));
        table.CompleteReplay();

        Assert.False(table[5].IsOccupied);
        Assert.True(table[6].IsOccupied);
        Assert.False(table[7].IsOccupied);
    }

    [Fact]
    public void Later_CompleteReplay_reports_only_changed_slots()
    {
        var table = Synced((1, Attach(11, 3, "one")), (2, Attach(12, 3, "two")), (3, Attach(13, 3, "three")), (10, Attach(20, 3, "ten")));

        table.BeginReplay();
        table.Apply(Header(1, 1, replay: true), Attach(11, 3, "one"));       // same
        table.Apply(Header(2, 2, replay: true), Attach(12, 4, "two"));       // state changed
        // 3 not replayed: vacated
        table.Apply(Header(4, 4, replay: true), Attach(14, 3, "four"));      // new
        table.Apply(Header(10, 5, replay: true), Attach(20, 3, "ten-ish"));  // name changed
        var changed = table.CompleteReplay();

        Assert.Equal(Bits(2, 3, 4, 10), changed);
    }

    [Fact]
    public void Later_CompleteReplay_with_identical_replay_reports_nothing()
    {
        var table = Synced((1, Attach(11)), (63, Attach(12)));

        table.BeginReplay();
        table.Apply(Header(63, 1, replay: true), Attach(12));
        table.Apply(Header(1, 2, replay: true), Attach(11));

        Assert.Equal(0UL, table.CompleteReplay());
    }

    [Fact]
    public void Same_content_in_a_later_replay_keeps_the_old_seq_and_time()
    {
        var table = new RosterTable();
        table.BeginReplay();
        table.Apply(Header(8, 10, replay: true, timestampNs: 1_000), Attach(50, 3, "same"));
        table.CompleteReplay();

        table.BeginReplay();
        table.Apply(Header(8, 90, replay: true, timestampNs: 9_000), Attach(50, 3, "same"));
        var changed = table.CompleteReplay();

        Assert.Equal(0UL, changed);
        Assert.Equal(10UL, table[8].Seq);
        Assert.Equal(1_000UL, table[8].TimestampNs);
    }

    [Fact]
    public void Changed_content_in_a_later_replay_takes_the_new_seq_and_time()
    {
        var table = new RosterTable();
        table.BeginReplay();
        table.Apply(Header(8, 10, replay: true, timestampNs: 1_000), Attach(50, 3, "same"));
        table.CompleteReplay();

        table.BeginReplay();
        table.Apply(Header(8, 90, replay: true, timestampNs: 9_000), Attach(50, 3, "renamed"));
        table.CompleteReplay();

        Assert.Equal(90UL, table[8].Seq);
        Assert.Equal(9_000UL, table[8].TimestampNs);
    }

    [Fact]
    public void New_replay_discards_what_an_unfinished_replay_staged()
    {
        var table = new RosterTable();
        table.BeginReplay();
        table.Apply(Header(3, 1, replay: true), Attach(30));

        table.BeginReplay(); // the connection dropped before SYNC
        table.Apply(Header(4, 1, replay: true), Attach(40));
        table.CompleteReplay();

        Assert.False(table[3].IsOccupied);
        Assert.Equal(40u, table[4].Datum.Vmid);
    }

    [Theory]
    [InlineData(10UL)]
    [InlineData(9UL)]
    [InlineData(0UL)]
    public void Live_event_not_newer_than_the_last_one_is_stale(ulong seq)
    {
        var table = Synced();
        table.Apply(Header(1, 10), Attach(100, name: "current"));

        var result = table.Apply(Header(1, seq), Attach(999, name: "stale"));

        Assert.Equal(ApplyResult.Stale, result);
        Assert.Equal(100u, table[1].Datum.Vmid);
        Assert.Equal(ApplyResult.Changed, table.Apply(Header(1, 11), Attach(101)));
    }

    [Fact]
    public void Staleness_is_per_connection_not_per_slot()
    {
        var table = Synced();
        table.Apply(Header(1, 10), Attach(100));

        Assert.Equal(ApplyResult.Stale, table.Apply(Header(2, 5), Attach(200)));
        Assert.False(table[2].IsOccupied);
    }

    [Fact]
    public void Replay_events_in_any_seq_order_are_accepted_and_raise_the_bar_for_live_ones()
    {
        var table = new RosterTable();
        table.BeginReplay();

        Assert.Equal(ApplyResult.Staged, table.Apply(Header(1, 30, replay: true), Attach(1)));
        Assert.Equal(ApplyResult.Staged, table.Apply(Header(2, 10, replay: true), Attach(2)));
        Assert.Equal(ApplyResult.Staged, table.Apply(Header(3, 20, replay: true), Attach(3)));
        Assert.Equal(ApplyResult.Staged, table.Apply(Header(4, 30, replay: true), Attach(4)));
        table.CompleteReplay();

        Assert.Equal([30UL, 10UL, 20UL, 30UL], new[] { table[1].Seq, table[2].Seq, table[3].Seq, table[4].Seq });
        Assert.Equal(ApplyResult.Stale, table.Apply(Header(5, 30), Attach(5)));
        Assert.Equal(ApplyResult.Changed, table.Apply(Header(5, 31), Attach(5)));
    }

    [Fact]
    public void New_connection_resets_the_seq_so_a_restarted_daemon_is_not_stale()
    {
        var table = Synced();
        table.Apply(Header(1, 1_000), Attach(100));

        table.BeginReplay();
        table.Apply(Header(1, 3, replay: true), Attach(100));
        table.CompleteReplay();

        Assert.Equal(ApplyResult.Changed, table.Apply(Header(1, 4), Update(100, 4)));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    [InlineData(VmsigWire.NoEndpoint)]
    public void Endpoint_outside_0_to_63_is_rejected(int endpoint)
    {
        var table = Synced();

        Assert.Equal(ApplyResult.BadEndpoint, table.Apply(Header(endpoint, 10), Attach(100)));
        Assert.Equal(ApplyResult.Changed, table.Apply(Header(0, 9), Attach(100)));
    }

    [Fact]
    public void Endpoint_63_is_the_last_slot()
    {
        var table = Synced();

        Assert.Equal(ApplyResult.Changed, table.Apply(Header(63, 1), Attach(100)));
        Assert.True(table[63].IsOccupied);
    }

    [Theory]
    [InlineData(3u)]
    [InlineData(4u)]
    [InlineData(0x8000_0000u)]
    [InlineData(uint.MaxValue)]
    public void Unknown_action_is_rejected_and_does_not_count_as_seen(uint action)
    {
        var table = Synced();
        var datum = Attach(100);
        datum.Action = action;

        Assert.Equal(ApplyResult.BadAction, table.Apply(Header(1, 50), datum));
        Assert.False(table[1].IsOccupied);
        Assert.Equal(ApplyResult.Changed, table.Apply(Header(1, 49), Attach(100)));
    }

    [Fact]
    public void Rejections_during_replay_are_not_staged()
    {
        var table = new RosterTable();
        table.BeginReplay();
        var bad = Attach(1);
        bad.Action = 9;

        Assert.Equal(ApplyResult.BadEndpoint, table.Apply(Header(64, 1, replay: true), Attach(1)));
        Assert.Equal(ApplyResult.BadAction, table.Apply(Header(1, 2, replay: true), bad));
        table.CompleteReplay();

        Assert.False(table[1].IsOccupied);
    }

    [Theory]
    [InlineData(0u, "unknown")]
    [InlineData(1u, "stopped")]
    [InlineData(2u, "starting")]
    [InlineData(3u, "running")]
    [InlineData(4u, "paused")]
    [InlineData(5u, "suspended")]
    [InlineData(6u, "stopping")]
    [InlineData(7u, "migrating")]
    [InlineData(8u, "crashed")]
    [InlineData(9u, "state_9")]
    [InlineData(42u, "state_42")]
    [InlineData(uint.MaxValue, "state_4294967295")]
    public void VmStateName_names_known_states_and_numbers_the_rest(uint state, string name)
    {
        Assert.Equal(name, VmsigWire.VmStateName(state));
    }
}
