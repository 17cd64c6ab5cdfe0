using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>
/// A late reader of a KV bucket written as a NATS.Net user writes one (the KV client's <c>get</c> of each
/// endpoint's key, <c>{node}.{endpoint}</c>), independently of the bridge's code.
/// </summary>
public static class KvLateSubscriber
{
    /// <summary>Endpoint → value of each key that holds one, and the endpoints whose key is deleted.</summary>
    public static async Task<RosterView> ReadAsync(Uri server, string bucket, string node)
    {
        ArgumentNullException.ThrowIfNull(server);
        await using var connection = new NatsConnection(new NatsOpts { Url = server.ToString() });
        var store = await new NatsKVContext(new NatsJSContext(connection)).GetStoreAsync(bucket);
        var entries = new Dictionary<int, JsonElement>();
        var deleted = new HashSet<int>();
        for (var endpoint = 0; endpoint < 64; endpoint++)
        {
            var entry = await store.TryGetEntryAsync<byte[]>($"{node}.{endpoint}");
            if (entry.Success)
            {
                entries[endpoint] = JsonDocument.Parse(entry.Value.Value).RootElement.Clone();
            }
            else if (entry.Error is NatsKVKeyDeletedException)
            {
                deleted.Add(endpoint);
            }
        }

        return new RosterView(entries, deleted);
    }
}
