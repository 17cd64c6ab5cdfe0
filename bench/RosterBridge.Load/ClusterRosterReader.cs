using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace RosterBridge.Load;

/// <summary>
/// Every node's roster as a late consumer on the cluster sees it: one consumer of
/// <c>vmsig.*.roster.*</c> delivering the last message per subject, on one server; MessagePack
/// payloads, a vacancy an empty message with <c>KV-Operation: DEL</c>.
/// </summary>
internal sealed class ClusterRosterReader(string url) : IAsyncDisposable
{
    private const string Stream = "VMSIG_ROSTER";
    private const string Filter = "vmsig.*.roster.*";

    private readonly NatsConnection _connection = new(new NatsOpts { Url = url, Name = "load-cluster-reader", RequestTimeout = TimeSpan.FromSeconds(5) });

    /// <summary>Node → endpoint → entry (vacant where the stream holds nothing or a delete).</summary>
    public async Task<Dictionary<string, RosterEntry[]>> ReadAsync(CancellationToken cancellationToken)
    {
        var js = new NatsJSContext(_connection);
        var consumer = await js.CreateOrUpdateConsumerAsync(Stream, new ConsumerConfig
        {
            Name = $"load-late-{Guid.NewGuid():N}",
            FilterSubject = Filter,
            DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
            MemStorage = true,
        }, cancellationToken);
        var pending = (long)consumer.Info.NumPending;
        var nodes = new Dictionary<string, RosterEntry[]>(StringComparer.Ordinal);
        long received = 0;
        while (received < pending)
        {
            var before = received;
            await foreach (var message in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = (int)Math.Min(pending - received, 1000), Expires = TimeSpan.FromSeconds(5) }, cancellationToken: cancellationToken))
            {
                received++;
                if (message.Metadata?.NumPending == 0)
                {
                    received = pending;
                }

                var parts = message.Subject.Split('.');
                var endpoint = Wire.Endpoint(parts[^1]);
                if (parts.Length != 4 || endpoint < 0)
                {
                    continue;
                }

                var roster = nodes.TryGetValue(parts[1], out var known) ? known : nodes[parts[1]] = new RosterEntry[Wire.Endpoints];
                var deleted = message.Headers?.TryGetValue("KV-Operation", out var operation) == true && operation.ToString() is "DEL" or "PURGE";
                roster[endpoint] = deleted || message.Data is not { Length: > 0 } data ? RosterEntry.Vacant : Payloads.FromMessagePack(data);
            }

            if (received == before)
            {
                throw new LoadException($"the late consumer got {received} of {pending} last messages");
            }
        }

        try
        {
            await js.DeleteConsumerAsync(Stream, consumer.Info.Name, cancellationToken);
        }
        catch (NatsJSApiException)
        {
            // gone already; the server removes it after its inactive threshold anyway
        }

        return nodes;
    }

    /// <summary>True when the stream holds exactly <paramref name="expected"/> for the node.</summary>
    public static bool Exact(Dictionary<string, RosterEntry[]> seen, string node, RosterEntry[] expected)
    {
        var roster = seen.GetValueOrDefault(node) ?? new RosterEntry[Wire.Endpoints];
        for (var i = 0; i < Wire.Endpoints; i++)
        {
            if (!roster[i].Satisfies(expected[i]))
            {
                return false;
            }
        }

        return true;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
