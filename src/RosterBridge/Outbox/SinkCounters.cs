namespace RosterBridge.Outbox;

/// <summary>What one sink did, for health, metrics and tests; written by its runner, read from any thread.</summary>
internal sealed class SinkCounters
{
    private long _sent;
    private long _unchanged;
    private long _failed;
    private long _refused;
    private long _connects;
    private long _sessions;
    private long _readBacks;

    /// <summary>Publishes the broker acknowledged (or found it held already).</summary>
    public long Published => Sent + Unchanged;

    /// <summary>Messages actually sent to the broker and acknowledged.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Slots to publish that the broker was found to hold already, so nothing was sent.</summary>
    public long Unchanged => Interlocked.Read(ref _unchanged);

    /// <summary>Publishes not acknowledged: failed, timed out, or refused.</summary>
    public long FailedPublishes => Failed + Refused;

    /// <summary>Publishes that failed or timed out (the connection is dropped after one).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Publishes the broker refused as out of date (another writer, or a late publish): a read-back follows.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Connections made (each a new broker session).</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Rounds of publishing begun, each after a read-back: connects and sweeps.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    public long ReadBacks => Interlocked.Read(ref _readBacks);

    // Each count has its own field (sums are computed when read), so that every count a reader
    // sees only grows, as a Prometheus counter must.
    public void OnPublished(bool sent)
    {
        if (sent)
        {
            Interlocked.Increment(ref _sent);
        }
        else
        {
            Interlocked.Increment(ref _unchanged);
        }
    }

    public void OnPublishFailed() => Interlocked.Increment(ref _failed);

    public void OnPublishRefused() => Interlocked.Increment(ref _refused);

    public void OnConnected() => Interlocked.Increment(ref _connects);

    public void OnSession() => Interlocked.Increment(ref _sessions);

    public void OnReadBack() => Interlocked.Increment(ref _readBacks);
}
