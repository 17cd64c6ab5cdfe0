using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;

namespace RosterBridge.Nats;

/// <summary>Reads what a late subscriber gets: the stream's last message on each of one node's subjects.</summary>
internal static class NatsRosterReader
{
    /// <summary>One subject's last message: its body, and whether it is a delete marker.</summary>
    public sealed record Entry(string Subject, byte[] Body, bool IsDelete, string Headers);

    /// <summary>The last message of every roster subject of <paramref name="node"/> that has one.</summary>
    public static async Task<IReadOnlyList<Entry>> ReadLastAsync(NatsSinkOpts opts, string node, CancellationToken cancellationToken)
    {
        await using var connection = new NatsConnection(new NATS.Client.Core.NatsOpts
        {
            Url = $"nats://{opts.Url.Host}:{opts.Url.Port}",
            Name = "rosterbridge-reader",
            AuthOpts = opts.Username is null
                ? NatsAuthOpts.Default
                : NatsAuthOpts.Default with { Username = opts.Username, Password = opts.Password },
        });
        var js = new NatsJSContext(connection);
        INatsJSStream stream;
        try
        {
            stream = await js.GetStreamAsync(opts.Stream, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
        {
            return [];
        }

        var entries = new List<Entry>();
        for (var endpoint = 0; endpoint < Roster.RosterTable.SlotCount; endpoint++)
        {
            var subject = NatsSubjects.Roster(opts.SubjectPrefix, node, endpoint);
            try
            {
                var response = await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = subject }, cancellationToken);
                var message = response.Message;
                var headers = message.Hdrs is { Length: > 0 } encoded ? Encoding.ASCII.GetString(Convert.FromBase64String(encoded)) : string.Empty;
                var body = message.Data.ToArray();
                entries.Add(new Entry(subject, body, IsDeleteMarker(headers), headers));
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.NoMessageFound)
            {
                // Never published: a late subscriber sees nothing here.
            }
        }

        return entries;
    }

    /// <summary>True for the headers a KV bucket writes for a delete or a purge.</summary>
    public static bool IsDeleteMarker(string rawHeaders) =>
        rawHeaders.Contains("KV-Operation: DEL", StringComparison.OrdinalIgnoreCase)
        || rawHeaders.Contains("KV-Operation: PURGE", StringComparison.OrdinalIgnoreCase);
}
