namespace RosterBridge.Outbox;

/// <summary>A broker the roster is published to: makes a new <see cref="BrokerSession"/> per connect.</summary>
internal abstract class RosterSink
{
    /// <summary>"mqtt" or "nats", for logs and health.</summary>
    public abstract string Name { get; }

    /// <summary>Where it publishes, for logs.</summary>
    public abstract string Target { get; }

    /// <summary>
    /// Opens a new connection and readies the broker (the bridge's status, the stream). Either the
    /// whole of it succeeds and the session is returned, or the connection is dropped and this throws.
    /// </summary>
    /// <exception cref="SinkConfigException">The broker holds something the bridge must not change.</exception>
    public abstract Task<BrokerSession> ConnectAsync(CancellationToken cancellationToken);
}
