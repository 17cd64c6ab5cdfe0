using RosterBridge.Frames;

namespace RosterBridge.Roster;

/// <summary>
/// The 64 endpoint slots as the bridge knows them. Each daemon connection starts with a replay
/// that is staged aside and becomes the roster at SYNC, so an incomplete replay never reaches a
/// broker and every slot the replay leaves out is vacant. Single-threaded: the daemon reader owns it.
/// </summary>
internal sealed class RosterTable
{
    public const int SlotCount = VmsigWire.EndpointCount;

    /// <summary>A mask with one bit per slot.</summary>
    public const ulong AllSlots = ulong.MaxValue;

    private readonly SlotState[] _slots = new SlotState[SlotCount];
    private readonly SlotState[] _replay = new SlotState[SlotCount];
    private bool _replaying;
    private bool _hasSeq;
    private ulong _lastSeq;

    /// <summary>True once a replay was completed by SYNC: every slot is known.</summary>
    public bool IsSynced { get; private set; }

    /// <summary>True between <see cref="BeginReplay"/> and <see cref="CompleteReplay"/>.</summary>
    public bool IsReplaying => _replaying;

    public ref readonly SlotState this[int endpoint] => ref _slots[endpoint];

    /// <summary>A new daemon connection: what follows, up to SYNC, is the complete roster.</summary>
    public void BeginReplay()
    {
        Array.Clear(_replay);
        _replaying = true;
        _hasSeq = false;
    }

    public ApplyResult Apply(in EventHeader header, in RosterDatum datum)
    {
        if (header.Endpoint >= SlotCount)
        {
            return ApplyResult.BadEndpoint;
        }

        var action = (RosterAction)datum.Action;
        if (action is not (RosterAction.Attach or RosterAction.Update or RosterAction.Detach))
        {
            return ApplyResult.BadAction;
        }

        // A replayed datum may carry the seq of the event that first set it, so a replay is not
        // ordered by seq; anything else (a REPLAY-flagged event after SYNC too) must be newer than
        // everything this connection has seen, or it could roll a slot back.
        var inReplay = _replaying && header.IsReplay;
        if (!inReplay && _hasSeq && header.Seq <= _lastSeq)
        {
            return ApplyResult.Stale;
        }

        if (!_hasSeq || header.Seq > _lastSeq)
        {
            _lastSeq = header.Seq;
        }

        _hasSeq = true;

        var slots = _replaying ? _replay : _slots;
        ref var slot = ref slots[header.Endpoint];
        if (action == RosterAction.Detach)
        {
            if (!slot.IsOccupied)
            {
                return _replaying ? ApplyResult.Staged : ApplyResult.Unchanged;
            }

            slot = SlotState.Vacant;
        }
        else
        {
            // UPDATE of a slot the bridge holds empty or for another VM still carries the whole
            // datum: the daemon is the truth, so it occupies the slot rather than being dropped.
            slot = new SlotState(datum, action, header.Seq, header.TimestampNs);
        }

        return _replaying ? ApplyResult.Staged : ApplyResult.Changed;
    }

    /// <summary>
    /// SYNC: the replay becomes the roster. Returns the slots whose content changed; after the
    /// first SYNC that is every slot, since nothing was known before it.
    /// </summary>
    public ulong CompleteReplay()
    {
        var changed = IsSynced ? 0UL : AllSlots;
        for (var i = 0; i < SlotCount; i++)
        {
            // A slot whose content is the same keeps the seq and time of the event that set it.
            if (!_slots[i].SameContentAs(_replay[i]))
            {
                _slots[i] = _replay[i];
                changed |= 1UL << i;
            }
        }

        _replaying = false;
        IsSynced = true;
        return changed;
    }
}
