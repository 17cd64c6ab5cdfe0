using RosterBridge.Roster;
using Xunit;
using static RosterBridge.Tests.Roster.Datums;

namespace RosterBridge.Tests.Roster;

public class SlotStateTests
{
    [Fact]
    public void Vacant_is_not_occupied_and_equals_another_vacant()
    {
        Assert.False(SlotState.Vacant.IsOccupied);
        Assert.True(SlotState.Vacant.SameContentAs(default));
    }

    [Fact]
    public void Occupied_and_vacant_differ()
    {
        var occupied = new SlotState(Attach(1), RosterAction.Attach, 1, 1);

        Assert.False(occupied.SameContentAs(SlotState.Vacant));
        Assert.False(SlotState.Vacant.SameContentAs(occupied));
    }

    [Fact]
    public void Same_content_ignores_seq_time_and_action()
    {
        var a = new SlotState(Attach(1, 3, "vm"), RosterAction.Attach, 1, 100);
        var b = new SlotState(Update(1, 3, "vm"), RosterAction.Update, 2, 200);

        Assert.True(a.SameContentAs(b));
    }

    [Fact]
    public void Vmid_state_flags_and_name_each_make_a_difference()
    {
        var baseline = new SlotState(Attach(1, 3, "vm"), RosterAction.Attach, 1, 1);
        var flagged = Attach(1, 3, "vm");
        flagged.Flags = 0x2;

        Assert.False(baseline.SameContentAs(new SlotState(Attach(2, 3, "vm"), RosterAction.Attach, 1, 1)));
        Assert.False(baseline.SameContentAs(new SlotState(Attach(1, 4, "vm"), RosterAction.Attach, 1, 1)));
        Assert.False(baseline.SameContentAs(new SlotState(Attach(1, 3, "vm2"), RosterAction.Attach, 1, 1)));
        Assert.False(baseline.SameContentAs(new SlotState(flagged, RosterAction.Attach, 1, 1)));
    }

    [Fact]
    public void Name_bytes_after_the_NUL_count_as_content()
    {
        // The raw field is compared: junk after the NUL makes a datum "different" though it
        // decodes to the same name. Harmless (at worst one extra publish), pinned here.
        var clean = Attach(1, 3, "vm");
        var junk = Attach(1, 3, "vm");
        Span<byte> name = junk.Name;
        name[20] = 0x55;

        Assert.False(new SlotState(clean, RosterAction.Attach, 1, 1).SameContentAs(new SlotState(junk, RosterAction.Attach, 1, 1)));
    }
}
