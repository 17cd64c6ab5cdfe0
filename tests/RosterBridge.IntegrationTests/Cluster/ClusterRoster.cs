using System.Text.Json;
using MessagePack;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.IntegrationTests.Support;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// Every node's roster as one late consumer on one server sees it: a consumer of every node's
/// subjects delivering the last message per subject, written as a NATS user would (not the bridge's
/// code). Keeps, per subject, the message id of the write, which names the bridge that made it.
/// </summary>
/// <param name="Nodes">Node → its roster.</param>
/// <param name="Writers">Subject → the Nats-Msg-Id of its last message.</param>
internal sealed record ClusterRoster(IReadOnlyDictionary<string, RosterView> Nodes, IReadOnlyDictionary<string, string> Writers)
{
    public static async Task<ClusterRoster> ReadAsync(Uri server, ClusterStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(store);
        await using var connection = new NatsConnection(new NatsOpts { Url = server.ToString(), RequestTimeout = TimeSpan.FromSeconds(3) });
        var js = new NatsJSContext(connection);
        var consumer = await js.CreateOrUpdateConsumerAsync(
            store.Stream,
            new ConsumerConfig
            {
                Name = $"late-all-{Guid.NewGuid():N}",
                FilterSubject = store.Filter,
                DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject,
                AckPolicy = ConsumerConfigAckPolicy.None,
                InactiveThreshold = TimeSpan.FromSeconds(30),
                MemStorage = true,
            },
            cancellationToken);

        // The consumer's pending count at its creation is the number of subjects with a last message.
        var pending = (long)consumer.Info.NumPending;
        var entries = new Dictionary<string, Dictionary<int, JsonElement>>(StringComparer.Ordinal);
        var deleted = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var writers = new Dictionary<string, string>(StringComparer.Ordinal);
        var received = 0L;
        while (received < pending)
        {
            var before = received;
            await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = (int)Math.Min(pending - received, 1000), Expires = TimeSpan.FromSeconds(3) }, cancellationToken: cancellationToken))
            {
                received++;
                if (msg.Metadata?.NumPending == 0)
                {
                    received = pending;
                }

                writers[msg.Subject] = msg.Headers is { } ids && ids.TryGetValue("Nats-Msg-Id", out var id) ? id.ToString() : string.Empty;
                if (store.Parse(msg.Subject) is not (string node, int endpoint))
                {
                    continue;
                }

                var nodeEntries = entries.TryGetValue(node, out var known) ? known : entries[node] = [];
                var nodeDeleted = deleted.TryGetValue(node, out var gone) ? gone : deleted[node] = [];
                if (msg.Headers is { } headers && headers.TryGetValue("KV-Operation", out var operation) && operation.ToString() is "DEL" or "PURGE")
                {
                    nodeDeleted.Add(endpoint);
                    nodeEntries.Remove(endpoint);
                }
                else
                {
                    using var json = JsonDocument.Parse(MessagePackSerializer.ConvertToJson(msg.Data ?? [], cancellationToken: cancellationToken));
                    nodeEntries[endpoint] = json.RootElement.Clone();
                    nodeDeleted.Remove(endpoint);
                }
            }

            if (received == before)
            {
                throw new InvalidOperationException($"the consumer delivered {received} of {pending} subjects' last messages");
            }
        }

        var nodes = entries.Keys.Union(deleted.Keys)
            .ToDictionary(node => node, node => new RosterView(entries.GetValueOrDefault(node) ?? [], deleted.GetValueOrDefault(node) ?? []), StringComparer.Ordinal);
        return new ClusterRoster(nodes, writers);
    }

    /// <summary>The node's roster; empty when it has no entry at all.</summary>
    public RosterView Of(string node) => Nodes.TryGetValue(node, out var view) ? view : new RosterView(new Dictionary<int, JsonElement>(), new HashSet<int>());

    /// <summary>Subjects whose last message was written by a bridge of another node than the subject's (message ids begin with the writer's node).</summary>
    public IReadOnlyList<string> WrittenByAnotherNode(ClusterStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Writers.Where(pair => store.Parse(pair.Key) is (string node, _) && !pair.Value.StartsWith(node + "-", StringComparison.Ordinal))
            .Select(pair => $"{pair.Key} (by '{pair.Value}')")
            .ToList();
    }
}
