namespace RosterBridge.Health;

/// <summary>The kinds of event read from the daemon that the counters tell apart (metrics label them).</summary>
internal enum EventKind
{
    Roster,
    Welcome,
    Sync,
    Error,

    /// <summary>MEMCTX: for other subscribers, skipped.</summary>
    MemCtx,

    /// <summary>A type this bridge does not know, skipped.</summary>
    Other,
}
