using RosterBridge.Roster;

namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>
/// The VMs discovery shows: one per VM id on the roster, at its endpoint (the newest by seq when a
/// VM id is on two endpoints at once), and, for <c>leaveGrace</c> after it left, a VM that is on no
/// endpoint any more. A move is a DETACH and an ATTACH that may arrive apart; within the grace the
/// VM keeps its config, which then names its new endpoint. Bounded: 64 slots, and at most 64 VMs
/// leaving at once (beyond that, the one that left first is let go early). Nothing is known, and so
/// nothing shown or cleared, until the first SYNC has offered every slot.
/// </summary>
internal sealed class DiscoveryRoster(TimeSpan leaveGrace, TimeProvider time)
{
    private const int SlotCount = RosterTable.SlotCount;

    private readonly Lock _gate = new();
    private readonly SlotState[] _slots = new SlotState[SlotCount];
    private readonly Dictionary<uint, Leaving> _leaving = [];
    private ulong _offered;

    /// <summary>Every slot was offered: the roster is known.</summary>
    public bool IsKnown
    {
        get
        {
            lock (_gate)
            {
                return _offered == RosterTable.AllSlots;
            }
        }
    }

    /// <summary>When the next leaving VM's grace ends; null when none is leaving.</summary>
    public DateTimeOffset? NextLeaveEnds
    {
        get
        {
            lock (_gate)
            {
                return _leaving.Count == 0 ? null : _leaving.Values.Min(leaving => leaving.Until);
            }
        }
    }

    /// <summary>The slot's newest state. Returns true when what discovery shows may have changed (a VM came, left, moved or was renamed).</summary>
    /// <remarks>On the daemon reader's thread: no allocation beyond a VM that starts leaving.</remarks>
    public bool Offer(int endpoint, in SlotState state)
    {
        lock (_gate)
        {
            var before = _slots[endpoint];
            var wasKnown = _offered == RosterTable.AllSlots;
            _offered |= 1UL << endpoint;
            _slots[endpoint] = state;
            if (before.IsOccupied && (!state.IsOccupied || state.Datum.Vmid != before.Datum.Vmid) && IndexOf(before.Datum.Vmid) < 0)
            {
                StartLeaving(before, endpoint);
            }

            var returned = state.IsOccupied && _leaving.Remove(state.Datum.Vmid);
            return returned || !ShowsTheSame(before, state) || (!wasKnown && _offered == RosterTable.AllSlots);
        }
    }

    /// <summary>The VMs to show now, by VM id; null until the roster is known. Ends the grace of VMs whose time is up.</summary>
    public List<DiscoveredVm>? Snapshot()
    {
        lock (_gate)
        {
            if (_offered != RosterTable.AllSlots)
            {
                return null;
            }

            var now = time.GetUtcNow();
            foreach (var (vmid, leaving) in _leaving)
            {
                if (leaving.Until <= now)
                {
                    _leaving.Remove(vmid);
                }
            }

            var shown = new Dictionary<uint, DiscoveredVm>();
            for (var endpoint = 0; endpoint < SlotCount; endpoint++)
            {
                ref readonly var slot = ref _slots[endpoint];
                if (slot.IsOccupied && (!shown.TryGetValue(slot.Datum.Vmid, out var other) || slot.Seq > _slots[other.Endpoint].Seq))
                {
                    shown[slot.Datum.Vmid] = Shown(slot, endpoint);
                }
            }

            foreach (var (vmid, leaving) in _leaving)
            {
                shown.TryAdd(vmid, Shown(leaving.State, leaving.Endpoint));
            }

            return [.. shown.Values.OrderBy(vm => vm.Vmid)];
        }
    }

    private static DiscoveredVm Shown(in SlotState slot, int endpoint)
    {
        var datum = slot.Datum;
        return new(datum.Vmid, endpoint, RosterName.Decode(datum.Name, datum.NameTruncated));
    }

    /// <summary>Same VM with the same name, or both vacant: the same config (a state change is read from the roster's topic).</summary>
    private static bool ShowsTheSame(in SlotState a, in SlotState b)
    {
        if (a.IsOccupied != b.IsOccupied)
        {
            return false;
        }

        if (!a.IsOccupied)
        {
            return true;
        }

        var x = a.Datum;
        var y = b.Datum;
        ReadOnlySpan<byte> nameX = x.Name;
        ReadOnlySpan<byte> nameY = y.Name;
        return x.Vmid == y.Vmid && x.NameTruncated == y.NameTruncated && nameX.SequenceEqual(nameY);
    }

    private int IndexOf(uint vmid)
    {
        for (var endpoint = 0; endpoint < SlotCount; endpoint++)
        {
            if (_slots[endpoint].IsOccupied && _slots[endpoint].Datum.Vmid == vmid)
            {
                return endpoint;
            }
        }

        return -1;
    }

    private void StartLeaving(in SlotState state, int endpoint)
    {
        if (_leaving.Count >= SlotCount)
        {
            _leaving.Remove(_leaving.MinBy(leaving => leaving.Value.Until).Key);
        }

        _leaving[state.Datum.Vmid] = new Leaving(state, endpoint, time.GetUtcNow() + leaveGrace);
    }

    private readonly record struct Leaving(SlotState State, int Endpoint, DateTimeOffset Until);
}
