namespace RosterBridge.Outbox;

/// <summary>A broker the roster is published to; <see cref="SinkRunner"/> drives it from an outbox.</summary>
internal abstract class RosterSink : IAsyncDisposable
{
    /// <summary>"mqtt" or "nats", for logs and health.</summary>
    public abstract string Name { get; }

    /// <summary>Where it publishes, for logs.</summary>
    public abstract string Target { get; }

    /// <summary>
    /// Connects (or waits for the client's own reconnect) and readies the broker. Returns a token
    /// that is cancelled when this connection is lost.
    /// </summary>
    /// <exception cref="SinkConfigException">The broker holds something the bridge must not change.</exception>
    public abstract Task<CancellationToken> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Publishes one slot's state; returns when the broker acknowledged it, throws otherwise.</summary>
    public abstract Task PublishAsync(PublishJob job, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}
