using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace RosterBridge.Tests.Peers;

/// <summary>
/// Just enough of a NATS server to script a connection's edges: INFO, PONG for PING, and for each
/// published message (PUB / HPUB) the reply <see cref="Respond"/> gives, or none. Every message it
/// reads is reported on <see cref="ScriptedPeer{TSeen}.Seen"/>.
/// </summary>
internal sealed class ScriptedNatsServer : ScriptedPeer<ScriptedNatsServer.Message>
{
    /// <summary>A message a client published: on which connection (1, 2, ...), its subject and body.</summary>
    public sealed record Message(int Connection, string Subject, string? ReplyTo, string Body);

    /// <summary>The reply to a request (connection, subject) → body; null: no reply at all.</summary>
    public Func<int, string, string?> Respond { get; set; } = (_, _) => null;

    /// <summary>A JetStream stream info answer for a stream as RosterBridge creates it.</summary>
    public static string StreamInfo(string name, string subjects) =>
        "{\"type\":\"io.nats.jetstream.api.v1.stream_info_response\",\"config\":{\"name\":\"" + name + "\",\"subjects\":[\"" + subjects +
        "\"],\"retention\":\"limits\",\"max_consumers\":-1,\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":0,\"max_msgs_per_subject\":1," +
        "\"max_msg_size\":-1,\"discard\":\"old\",\"storage\":\"file\",\"num_replicas\":1,\"duplicate_window\":120000000000,\"allow_direct\":true}," +
        "\"created\":\"2026-01-01T00:00:00Z\",\"state\":{\"messages\":0,\"bytes\":0,\"first_seq\":0,\"last_seq\":0,\"consumer_count\":0}}";

    protected override async Task ServeAsync(NetworkStream stream, int connection)
    {
        var subscriptions = new Dictionary<string, string>(StringComparer.Ordinal); // sid → subject
        await WriteAsync(stream, "INFO {\"server_id\":\"scripted\",\"server_name\":\"scripted\",\"version\":\"2.9.10\",\"proto\":1," +
            $"\"host\":\"127.0.0.1\",\"port\":{Port},\"headers\":true,\"max_payload\":1048576,\"jetstream\":true}}\r\n");
        var reader = new LineReader(stream, Stop.Token);
        while (await reader.ReadLineAsync() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (parts.Length == 0 ? string.Empty : parts[0].ToUpperInvariant())
            {
                case "PING":
                    await WriteAsync(stream, "PONG\r\n");
                    break;
                case "SUB":
                    subscriptions[parts[^1]] = parts[1];
                    break;
                case "UNSUB":
                    subscriptions.Remove(parts[1]);
                    break;
                case "PUB" or "HPUB":
                    var total = int.Parse(parts[^1], CultureInfo.InvariantCulture);
                    var headerLength = parts[0] == "HPUB" ? int.Parse(parts[^2], CultureInfo.InvariantCulture) : 0;
                    var bytes = await reader.ReadBytesAsync(total + 2);
                    var replyTo = parts.Length == (parts[0] == "HPUB" ? 5 : 4) ? parts[2] : null;
                    var body = Encoding.UTF8.GetString(bytes, headerLength, total - headerLength);
                    Seen.Writer.TryWrite(new Message(connection, parts[1], replyTo, body));
                    if (replyTo is not null && Respond(connection, parts[1]) is { } reply
                        && subscriptions.FirstOrDefault(sub => Matches(sub.Value, replyTo)) is { Key: { } sid })
                    {
                        var replyBytes = Encoding.UTF8.GetByteCount(reply);
                        await WriteAsync(stream, $"MSG {replyTo} {sid} {replyBytes}\r\n{reply}\r\n");
                    }

                    break;
            }
        }
    }

    private static bool Matches(string pattern, string subject)
    {
        var p = pattern.Split('.');
        var s = subject.Split('.');
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == ">")
            {
                return s.Length > i;
            }

            if (i >= s.Length || (p[i] != "*" && p[i] != s[i]))
            {
                return false;
            }
        }

        return p.Length == s.Length;
    }

    private async Task WriteAsync(NetworkStream stream, string text) =>
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), Stop.Token);

    /// <summary>Protocol lines and message bodies off one connection.</summary>
    private sealed class LineReader(NetworkStream stream, CancellationToken cancellationToken)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync()
        {
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, newline - _start).TrimEnd('\r');
                    _start = newline + 1;
                    return line;
                }

                if (!await FillAsync())
                {
                    return null;
                }
            }
        }

        public async Task<byte[]> ReadBytesAsync(int count)
        {
            while (_end - _start < count)
            {
                if (!await FillAsync())
                {
                    throw new EndOfStreamException();
                }
            }

            var bytes = _buffer.AsSpan(_start, count).ToArray();
            _start += count;
            return bytes;
        }

        private async Task<bool> FillAsync()
        {
            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read > 0;
        }
    }
}
