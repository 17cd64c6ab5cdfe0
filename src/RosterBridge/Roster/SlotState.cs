namespace RosterBridge.Roster;

/// <summary>What one endpoint slot holds: a VM (its last datum, and the event that set it) or nothing.</summary>
internal readonly struct SlotState
{
    public SlotState(RosterDatum datum, RosterAction action, ulong seq, ulong timestampNs)
    {
        IsOccupied = true;
        Datum = datum;
        Action = action;
        Seq = seq;
        TimestampNs = timestampNs;
    }

    public static SlotState Vacant => default;

    public bool IsOccupied { get; }

    public RosterDatum Datum { get; }

    /// <summary>How the VM got its current state: <see cref="RosterAction.Attach"/> or <see cref="RosterAction.Update"/>.</summary>
    public RosterAction Action { get; }

    public ulong Seq { get; }

    public ulong TimestampNs { get; }

    /// <summary>Same VM, state, flags and name: what a subscriber would see, leaving out when it happened.</summary>
    public bool SameContentAs(in SlotState other)
    {
        if (IsOccupied != other.IsOccupied)
        {
            return false;
        }

        if (!IsOccupied)
        {
            return true;
        }

        var a = Datum;
        var b = other.Datum;
        return a.Vmid == b.Vmid && a.State == b.State && a.Flags == b.Flags
            && ((ReadOnlySpan<byte>)a.Name).SequenceEqual(b.Name);
    }
}
