namespace RosterBridge.Health;

/// <summary>Counts of what the bridge read, rejected and published, for logs, health and tests.</summary>
internal sealed class BridgeCounters
{
    private long _frames;
    private long _rosterEvents;
    private long _skippedEvents;
    private long _badEndpoint;
    private long _badAction;
    private long _badLength;
    private long _stale;
    private long _protocolErrors;
    private long _daemonConnections;
    private long _syncs;
    private long _lastSyncUnixMs;
    private readonly long[] _eventsByKind = new long[Enum.GetValues<EventKind>().Length];

    public long Frames => Volatile.Read(ref _frames);

    public long RosterEvents => Volatile.Read(ref _rosterEvents);

    /// <summary>Events of a type this bridge does not use (MEMCTX, unknown types).</summary>
    public long SkippedEvents => Volatile.Read(ref _skippedEvents);

    public long BadEndpoint => Volatile.Read(ref _badEndpoint);

    public long BadAction => Volatile.Read(ref _badAction);

    /// <summary>Events too short for the payload their type needs.</summary>
    public long BadLength => Volatile.Read(ref _badLength);

    public long Stale => Volatile.Read(ref _stale);

    /// <summary>Connections dropped for a protocol error (bad frame length, handshake out of order).</summary>
    public long ProtocolErrors => Volatile.Read(ref _protocolErrors);

    public long DaemonConnections => Volatile.Read(ref _daemonConnections);

    public long Syncs => Volatile.Read(ref _syncs);

    /// <summary>When the daemon last completed a replay (SYNC); null before the first.</summary>
    public DateTimeOffset? LastSync => Volatile.Read(ref _lastSyncUnixMs) is > 0 and var ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    /// <summary>Events read of one kind, whether they were applied, skipped or rejected.</summary>
    public long Events(EventKind kind) => Volatile.Read(ref _eventsByKind[(int)kind]);

    /// <summary>Everything rejected as bad input.</summary>
    public long Rejected => BadEndpoint + BadAction + BadLength + Stale;

    // Only the daemon reader writes these, so plain increments would do; Interlocked keeps reads
    // from other threads (health, tests) exact at almost no cost.
    public void Frame() => Interlocked.Increment(ref _frames);

    public void Event(EventKind kind) => Interlocked.Increment(ref _eventsByKind[(int)kind]);

    public void RosterEvent() => Interlocked.Increment(ref _rosterEvents);

    public void Skipped() => Interlocked.Increment(ref _skippedEvents);

    public void RejectedEndpoint() => Interlocked.Increment(ref _badEndpoint);

    public void RejectedAction() => Interlocked.Increment(ref _badAction);

    public void RejectedLength() => Interlocked.Increment(ref _badLength);

    public void RejectedStale() => Interlocked.Increment(ref _stale);

    public void ProtocolError() => Interlocked.Increment(ref _protocolErrors);

    public void DaemonConnected() => Interlocked.Increment(ref _daemonConnections);

    public void Synced() => Interlocked.Increment(ref _syncs);

    public void SyncedAt(DateTimeOffset time) => Volatile.Write(ref _lastSyncUnixMs, time.ToUnixTimeMilliseconds());
}
