namespace RosterBridge.Load;

/// <summary>
/// One endpoint as a subscriber sees it (decoded from a payload) or as the daemon holds it.
/// <see cref="Seq"/> 0 in an expected entry means "any": the daemon's replay to the bridge gives
/// entries new seqs that this tool does not see.
/// </summary>
internal readonly record struct RosterEntry(bool Occupied, uint Vmid, string? State, string? Name, ulong Seq)
{
    public static RosterEntry Vacant => default;

    /// <summary>True when this observed entry is what <paramref name="expected"/> says.</summary>
    public bool Satisfies(in RosterEntry expected)
    {
        if (!expected.Occupied)
        {
            return !Occupied;
        }

        return Occupied && Vmid == expected.Vmid
            && string.Equals(State, expected.State, StringComparison.Ordinal)
            && string.Equals(Name, expected.Name, StringComparison.Ordinal)
            && (expected.Seq == 0 || Seq == expected.Seq);
    }

    public override string ToString() =>
        Occupied ? FormattableString.Invariant($"vm{Vmid} {State} \"{Name}\" seq {Seq}") : "vacant";
}
