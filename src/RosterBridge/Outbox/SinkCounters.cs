namespace RosterBridge.Outbox;

/// <summary>What one sink did, for health and tests; written by its runner, read from any thread.</summary>
internal sealed class SinkCounters
{
    private long _published;
    private long _sent;
    private long _failedPublishes;
    private long _sessions;
    private long _readBacks;

    /// <summary>Publishes the broker acknowledged (or found it held already).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages actually sent to the broker (a slot the broker held already is not sent).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public long FailedPublishes => Interlocked.Read(ref _failedPublishes);

    /// <summary>Rounds of publishing begun, each after a read-back: connects and sweeps.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    public long ReadBacks => Interlocked.Read(ref _readBacks);

    public void OnPublished(bool sent)
    {
        if (sent)
        {
            Interlocked.Increment(ref _sent);
        }

        Interlocked.Increment(ref _published);
    }

    public void OnPublishFailed() => Interlocked.Increment(ref _failedPublishes);

    public void OnSession() => Interlocked.Increment(ref _sessions);

    public void OnReadBack() => Interlocked.Increment(ref _readBacks);
}
