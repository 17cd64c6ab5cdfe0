using System.Runtime.CompilerServices;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;

namespace RosterBridge.Nats;

/// <summary>
/// Reads what a late subscriber gets: the stream's last message on each subject under a filter, and what
/// follows them; in KV mode the bucket's keys (<see cref="NatsKvReader"/>).
/// </summary>
internal static class NatsRosterReader
{
    /// <summary>One subject's last message: its body, whether it is a delete marker, and its stream sequence (a KV revision).</summary>
    /// <param name="Subject">The subject; in KV mode, what <see cref="ReadLastAsync(NatsSinkOpts, string, CancellationToken)"/> and <see cref="WatchAsync"/> return holds the key.</param>
    public sealed record Entry(string Subject, byte[] Body, bool IsDelete, string Headers, ulong Sequence);

    /// <summary>Where the roster of <paramref name="node"/> is, in words: <c>stream VMSIG_ROSTER vmsig.pve1.roster.*</c>, <c>KV bucket vmsig_roster keys pve1.&gt;</c>.</summary>
    public static string Where(NatsSinkOpts opts, string node) => opts.Mode == NatsMode.Kv
        ? $"KV bucket {opts.Bucket} keys {NatsKeys.NodeFilter(node)}"
        : $"stream {opts.Stream} {NatsSubjects.RosterFilter(opts.SubjectPrefix, node)}";

    /// <summary>The last message of every roster subject (or KV key) of <paramref name="node"/> that has one.</summary>
    public static async Task<IReadOnlyList<Entry>> ReadLastAsync(NatsSinkOpts opts, string node, CancellationToken cancellationToken)
    {
        await using var connection = await NatsReaderConnection.OpenAsync(opts, "rosterbridge-reader");
        var js = new NatsJSContext(connection.Connection);
        return opts.Mode == NatsMode.Kv
            ? await NatsKvReader.ReadLastAsync(js, opts.Bucket, node, cancellationToken)
            : await ReadLastAsync(js, opts.Stream, NatsSubjects.RosterFilter(opts.SubjectPrefix, node), cancellationToken);
    }

    /// <summary>
    /// The last message of every roster subject of <paramref name="node"/> (<c>*</c>: every node), as a
    /// late subscriber gets them, then each message stored after: one consumer that delivers the last
    /// message per subject first, so nothing falls between the read and the live part.
    /// The sequence of an entry is its stream sequence.
    /// </summary>
    public static async IAsyncEnumerable<Entry> WatchAsync(NatsSinkOpts opts, string node, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await NatsReaderConnection.OpenAsync(opts, "rosterbridge-watch");
        var js = new NatsJSContext(connection.Connection);
        if (opts.Mode == NatsMode.Kv)
        {
            await foreach (var entry in NatsKvReader.WatchAsync(js, opts.Bucket, node, cancellationToken))
            {
                yield return entry;
            }

            yield break;
        }

        // An ephemeral consumer with one filter subject (an ordered consumer sends filter_subjects,
        // which servers before 2.10 ignore); the server removes it a while after the watcher is gone.
        var consumer = await js.CreateOrUpdateConsumerAsync(opts.Stream, new ConsumerConfig($"rosterbridge-watch-{Guid.NewGuid():N}")
        {
            FilterSubject = NatsSubjects.RosterFilter(opts.SubjectPrefix, node),
            DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject,
            AckPolicy = ConsumerConfigAckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
            MemStorage = true,
        }, cancellationToken);
        await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: cancellationToken))
        {
            var operation = message.Headers?.TryGetValue("KV-Operation", out var value) == true ? value.ToString() : string.Empty;
            yield return new Entry(message.Subject, message.Data ?? [], operation is "DEL" or "PURGE", operation.Length == 0 ? string.Empty : $"KV-Operation: {operation}",
                message.Metadata?.Sequence.Stream ?? 0);
        }
    }

    /// <summary>The last message of every subject matching <paramref name="filter"/>; none when the stream is missing.</summary>
    public static async Task<IReadOnlyList<Entry>> ReadLastAsync(INatsJSContext js, string streamName, string filter, CancellationToken cancellationToken)
    {
        INatsJSStream stream;
        try
        {
            stream = await GetStreamAsync(js, streamName, filter, cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
        {
            return [];
        }

        return await ReadLastAsync(stream, cancellationToken);
    }

    /// <summary>The stream, with the subjects it holds under <paramref name="filter"/> listed in its state.</summary>
    public static async Task<INatsJSStream> GetStreamAsync(INatsJSContext js, string streamName, string filter, CancellationToken cancellationToken) =>
        await js.GetStreamAsync(streamName, new StreamInfoRequest { SubjectsFilter = filter }, cancellationToken);

    /// <summary>The last message of every subject listed in the stream's state (see <see cref="GetStreamAsync"/>).</summary>
    public static async Task<IReadOnlyList<Entry>> ReadLastAsync(INatsJSStream stream, CancellationToken cancellationToken)
    {
        // The stream lists the subjects it holds under the filter: no request for empty ones.
        var entries = new List<Entry>();
        foreach (var subject in stream.Info.State.Subjects?.Keys ?? [])
        {
            try
            {
                var response = await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = subject }, cancellationToken);
                var message = response.Message;
                var headers = message.Hdrs is { Length: > 0 } encoded ? Encoding.ASCII.GetString(Convert.FromBase64String(encoded)) : string.Empty;
                entries.Add(new Entry(subject, message.Data.ToArray(), IsDeleteMarker(headers), headers, message.Seq));
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.NoMessageFound)
            {
                // Removed between the listing and the read: nothing there now.
            }
        }

        return entries;
    }

    /// <summary>True for the headers a KV bucket writes for a delete or a purge.</summary>
    public static bool IsDeleteMarker(string rawHeaders) =>
        rawHeaders.Contains("KV-Operation: DEL", StringComparison.OrdinalIgnoreCase)
        || rawHeaders.Contains("KV-Operation: PURGE", StringComparison.OrdinalIgnoreCase);
}
