namespace RosterBridge.Roster;

internal enum ApplyResult
{
    /// <summary>A live event changed a slot: publish it.</summary>
    Changed,

    /// <summary>A live event that left the slot as it was (a DETACH of a vacant slot).</summary>
    Unchanged,

    /// <summary>Taken into the replay, which becomes the roster at SYNC.</summary>
    Staged,

    /// <summary>Rejected: the endpoint is outside [0, 64).</summary>
    BadEndpoint,

    /// <summary>Rejected: the action is none of ATTACH, UPDATE, DETACH.</summary>
    BadAction,

    /// <summary>Rejected: its seq is not newer than one already applied on this connection.</summary>
    Stale,
}
