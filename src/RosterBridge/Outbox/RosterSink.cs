using System.Buffers;
using RosterBridge.Payload;

namespace RosterBridge.Outbox;

/// <summary>A broker the roster is published to; <see cref="SinkRunner"/> drives it from an outbox.</summary>
internal abstract class RosterSink : IAsyncDisposable
{
    /// <summary>"mqtt" or "nats", for logs and health.</summary>
    public abstract string Name { get; }

    /// <summary>Where it publishes, for logs.</summary>
    public abstract string Target { get; }

    /// <summary>
    /// Connects, unless the current connection is still up (or waits for the client's own
    /// reconnect), and readies the broker. Returns a token cancelled when the connection is lost.
    /// </summary>
    /// <exception cref="SinkConfigException">The broker holds something the bridge must not change.</exception>
    public abstract Task<CancellationToken> ConnectAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Reads back what the broker holds under this node into <see cref="Held"/>, and clears entries
    /// under the node's names that are no endpoint at all.
    /// </summary>
    public abstract Task ReadBackAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Publishes one slot's state and returns when the broker acknowledged it, or at once when the
    /// job's broker state is unknown and <see cref="Held"/> shows the broker holds it already.
    /// Returns whether a message was sent; throws when the broker did not acknowledge.
    /// </summary>
    public abstract Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken);

    /// <summary>Drops the current connection, so that nothing still pending on it can complete later.</summary>
    public abstract Task DisconnectAsync();

    /// <summary>Says <c>offline</c> on the broker, when connected: the bridge is stopping.</summary>
    public abstract Task GoOfflineAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>What the broker held at the last read-back.</summary>
    protected BrokerSnapshot Held { get; } = new();

    /// <summary>The body to publish for the job's slot: its payload, or nothing for a vacant slot.</summary>
    protected static byte[] Body(in PublishJob job, PayloadFormat format, string node)
    {
        if (!job.State.IsOccupied)
        {
            return [];
        }

        var payload = new ArrayBufferWriter<byte>(256);
        RosterPayload.Write(payload, format, node, job.Endpoint, job.State);
        return payload.WrittenSpan.ToArray();
    }

    /// <summary>True when publishing <paramref name="body"/> would change nothing: right after a read-back that found it there.</summary>
    protected bool BrokerHolds(in PublishJob job, byte[] body) => job.BrokerStateUnknown && Held.Holds(job.Endpoint, body);

    /// <summary>The number of entries the last read-back found.</summary>
    public int HeldCount => Held.Count;
}
