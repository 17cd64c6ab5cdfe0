using System.Buffers;
using RosterBridge.Payload;

namespace RosterBridge.Outbox;

/// <summary>
/// One connection to a broker, from connect to drop. It owns its client: whatever is started on a
/// session runs against that session's connection only, so a call abandoned at its time limit can
/// never reach a later connection. <see cref="SinkRunner"/> makes a new session for every connect.
/// </summary>
internal abstract class BrokerSession : IAsyncDisposable
{
    /// <summary>Cancelled when the client library reports the connection lost.</summary>
    public abstract CancellationToken Lost { get; }

    /// <summary>
    /// Something the broker said it does not allow this connection (an ACL), where the broker says so
    /// apart from the call it refused (NATS); null when nothing was refused.
    /// </summary>
    public virtual string? Denial => null;

    /// <summary>What the broker held at this session's last read-back.</summary>
    public BrokerSnapshot Held { get; } = new();

    /// <summary>
    /// Reads back what the broker holds under this node into <see cref="Held"/>, and clears entries
    /// under the node's names that are no endpoint at all.
    /// </summary>
    /// <exception cref="SinkConfigException">The broker is (now) set up in a way the bridge refuses.</exception>
    public abstract Task ReadBackAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Publishes one slot's state and returns when the broker acknowledged it, or at once when the
    /// job's broker state is unknown and <see cref="Held"/> shows the broker holds it already.
    /// Returns whether a message was sent; throws when the broker did not acknowledge.
    /// </summary>
    /// <exception cref="BrokerChangedException">The broker's entry is not the one this session read back.</exception>
    public abstract Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken);

    /// <summary>Says <c>offline</c> on the broker, before a clean stop.</summary>
    public abstract Task GoOfflineAsync(CancellationToken cancellationToken);

    /// <summary>Drops the connection with whatever is still queued in it.</summary>
    public abstract ValueTask DisposeAsync();

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
}
