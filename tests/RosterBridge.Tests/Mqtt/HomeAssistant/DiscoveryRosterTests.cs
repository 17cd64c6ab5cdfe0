using Microsoft.Extensions.Time.Testing;
using RosterBridge.Mqtt.HomeAssistant;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.Mqtt.HomeAssistant;

/// <summary>Which VMs discovery shows, and where, as the roster changes slot by slot.</summary>
public sealed class DiscoveryRosterTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly DiscoveryRoster _roster;

    public DiscoveryRosterTests() => _roster = new DiscoveryRoster(Grace, _time);

    private void Known(params (int Endpoint, SlotState State)[] occupied) => Slots.OfferAll((e, s) => _roster.Offer(e, s), occupied);

    private List<DiscoveredVm> Shown() => Assert.IsType<List<DiscoveredVm>>(_roster.Snapshot());

    [Fact]
    public void Nothing_is_shown_or_cleared_until_every_slot_was_offered()
    {
        Assert.True(_roster.Offer(3, Slots.Vm(101, "web")));
        for (var endpoint = 0; endpoint < RosterTable.SlotCount - 1; endpoint++)
        {
            Assert.Null(_roster.Snapshot());
            if (endpoint != 3)
            {
                Assert.False(_roster.Offer(endpoint, SlotState.Vacant)); // a vacant slot offered vacant shows nothing new
            }
        }

        Assert.True(_roster.Offer(RosterTable.SlotCount - 1, SlotState.Vacant), "the last slot makes the roster known");
        Assert.Equal([new DiscoveredVm(101, 3, "web")], Shown());
    }

    [Fact]
    public void Each_VM_once_at_its_endpoint_ordered_by_VM_id()
    {
        Known((7, Slots.Vm(300, "c")), (0, Slots.Vm(100, "a")), (63, Slots.Vm(200, "b")));

        Assert.Equal([new(100, 0, "a"), new(200, 63, "b"), new(300, 7, "c")], Shown());
    }

    [Fact]
    public void A_state_change_shows_nothing_new_a_rename_does()
    {
        Known((3, Slots.Vm(101, "web")));

        Assert.False(_roster.Offer(3, Slots.Vm(101, "web", state: 4, seq: 2)));
        Assert.True(_roster.Offer(3, Slots.Vm(101, "web-renamed", state: 4, seq: 3)));
        Assert.Equal([new DiscoveredVm(101, 3, "web-renamed")], Shown());
    }

    [Fact]
    public void A_VM_that_leaves_keeps_its_place_for_the_grace_then_is_gone()
    {
        Known((3, Slots.Vm(101, "web")), (4, Slots.Vm(102, "db")));

        Assert.True(_roster.Offer(3, SlotState.Vacant));
        Assert.Equal([new(101, 3, "web"), new(102, 4, "db")], Shown());
        Assert.Equal(_time.GetUtcNow() + Grace, _roster.NextLeaveEnds);

        _time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        Assert.Contains(new DiscoveredVm(101, 3, "web"), Shown());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([new DiscoveredVm(102, 4, "db")], Shown());
        Assert.Null(_roster.NextLeaveEnds);
    }

    [Fact]
    public void A_move_in_two_events_is_one_VM_that_then_names_its_new_endpoint()
    {
        Known((3, Slots.Vm(101, "web")));

        _roster.Offer(3, SlotState.Vacant); // DETACH, published on its own
        Assert.Equal([new DiscoveredVm(101, 3, "web")], Shown());
        Assert.True(_roster.Offer(5, Slots.Vm(101, "web", seq: 2))); // the ATTACH elsewhere
        Assert.Equal([new DiscoveredVm(101, 5, "web")], Shown());
        Assert.Null(_roster.NextLeaveEnds);

        _time.Advance(Grace * 2);
        Assert.Equal([new DiscoveredVm(101, 5, "web")], Shown());
    }

    [Fact]
    public void A_move_attached_before_it_detached_shows_the_newest_endpoint_and_never_leaves()
    {
        Known((3, Slots.Vm(101, "web")));

        _roster.Offer(9, Slots.Vm(101, "web", seq: 5));
        Assert.Equal([new DiscoveredVm(101, 9, "web")], Shown());
        _roster.Offer(3, SlotState.Vacant);

        Assert.Null(_roster.NextLeaveEnds);
        Assert.Equal([new DiscoveredVm(101, 9, "web")], Shown());
    }

    [Fact]
    public void A_slot_that_changes_hands_shows_the_newcomer_and_lets_the_old_VM_leave()
    {
        Known((3, Slots.Vm(101, "web")));

        Assert.True(_roster.Offer(3, Slots.Vm(202, "mail", seq: 2)));

        Assert.Equal([new(101, 3, "web"), new(202, 3, "mail")], Shown());
        _time.Advance(Grace);
        Assert.Equal([new DiscoveredVm(202, 3, "mail")], Shown());
    }

    [Fact]
    public void At_most_64_VMs_leave_at_once_the_first_to_leave_is_let_go_first()
    {
        Known();
        for (uint vmid = 1000; vmid < 1100; vmid++)
        {
            _roster.Offer(0, Slots.Vm(vmid, $"vm-{vmid}", seq: vmid));
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var shown = Shown();

        Assert.Equal(65, shown.Count); // 64 leaving, and the one on slot 0
        Assert.Equal(Enumerable.Range(1035, 65).Select(vmid => (uint)vmid), shown.Select(vm => vm.Vmid));
    }
}
