using System.Runtime.CompilerServices;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace RosterBridge.Nats;

/// <summary>What a late reader of KV mode gets: the keys of a node in the bucket, as any KV client reads them.</summary>
internal static class NatsKvReader
{
    /// <summary>The last entry of every key under <paramref name="node"/>, deletes included, each with its key as <see cref="NatsRosterReader.Entry.Subject"/>; none when the bucket is missing.</summary>
    public static async Task<IReadOnlyList<NatsRosterReader.Entry>> ReadLastAsync(INatsJSContext js, string bucket, string node, CancellationToken cancellationToken)
    {
        var entries = await NatsRosterReader.ReadLastAsync(js, NatsKeys.Stream(bucket), NatsKeys.Subject(bucket, NatsKeys.NodeFilter(node)), cancellationToken);
        return entries.Select(entry => entry with { Subject = NatsKeys.KeyOf(bucket, entry.Subject) }).ToList();
    }

    /// <summary>
    /// The keys under <paramref name="node"/> (<c>*</c>: every node) and every change after, through the
    /// KV client's watcher, as <c>nats kv watch</c> shows them: a delete is an entry with <c>KV-Operation: DEL</c>.
    /// </summary>
    public static async IAsyncEnumerable<NatsRosterReader.Entry> WatchAsync(INatsJSContext js, string bucket, string node, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var store = await new NatsKVContext(js).GetStoreAsync(bucket, cancellationToken);
        await foreach (var entry in store.WatchAsync<byte[]>(NatsKeys.NodeFilter(node), cancellationToken: cancellationToken))
        {
            var operation = entry.Operation switch
            {
                NatsKVOperation.Del => "DEL",
                NatsKVOperation.Purge => "PURGE",
                _ => string.Empty,
            };
            yield return new NatsRosterReader.Entry(entry.Key, entry.Value ?? [], operation.Length > 0, operation.Length == 0 ? string.Empty : $"KV-Operation: {operation}", entry.Revision);
        }
    }
}
