using System.Globalization;
using System.Text.Json;

namespace RosterBridge.Cli;

/// <summary>
/// What <c>rosterbridge watch</c> shows: the roster as the broker's messages describe it, per node
/// and endpoint. No I/O: it is fed topics (or subjects) and payloads, JSON or MessagePack, in
/// whatever order they come; an empty payload (or a NATS delete) vacates the endpoint.
/// </summary>
internal sealed class WatchedRoster
{
    private readonly SortedDictionary<(string Node, int Endpoint), Row> _rows = [];

    /// <summary>One occupied endpoint, with the payload's fields as text.</summary>
    public sealed record Row(string Node, int Endpoint, string Vmid, string Name, bool NameTruncated, string State, string Action, string Seq, string Ts);

    /// <summary>The occupied endpoints, by node, then endpoint.</summary>
    public IReadOnlyCollection<Row> Rows => _rows.Values;

    /// <summary>
    /// Applies one message on <paramref name="key"/> (<c>vmsig/pve1/roster/3</c>, <c>vmsig.pve1.roster.3</c>, the KV key <c>pve1.3</c>)
    /// and returns the line that says what changed, or null when nothing did (a republish of the same state,
    /// a topic that is no endpoint).
    /// </summary>
    public string? Apply(string key, char separator, ReadOnlySpan<byte> payload, bool deleted = false)
    {
        // A topic or subject has the node two levels before the endpoint; a KV key (pve1.3) right before it.
        var parts = key.Split(separator);
        if (parts.Length < 2 || !int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var endpoint))
        {
            return null;
        }

        var slot = (parts.Length == 2 ? parts[0] : parts[^3], endpoint);
        if (deleted || payload.IsEmpty)
        {
            return _rows.Remove(slot) ? $"{slot.Item1}/{endpoint} vacant" : null;
        }

        var row = Read(slot.Item1, endpoint, payload);
        if (_rows.TryGetValue(slot, out var known) && known == row)
        {
            return null;
        }

        _rows[slot] = row;
        return Describe(row);
    }

    /// <summary>The plain line for an occupied endpoint: <c>pve1/3 running vmid=101 name="web-01" seq=7 ts=… action=attach</c>.</summary>
    public static string Describe(Row row) =>
        $"{row.Node}/{row.Endpoint} {row.State} vmid={row.Vmid} name={Quoted(row.Name)}" +
        $"{(row.NameTruncated ? " (truncated)" : string.Empty)} seq={row.Seq} ts={row.Ts} action={row.Action}";

    /// <summary>In double quotes, with a quote or backslash in it escaped: a name may hold blanks.</summary>
    public static string Quoted(string name) => $"\"{name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    private static Row Read(string node, int endpoint, ReadOnlySpan<byte> payload)
    {
        try
        {
            // The bridge's JSON is an object; its MessagePack a map (never '{', 0x7b, which is a fixint).
            var json = payload[0] == (byte)'{' ? payload.ToArray() : System.Text.Encoding.UTF8.GetBytes(MessagePackJson.Convert(payload.ToArray()));
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return new Row(node, endpoint, Text(root, "vmid"), Text(root, "name"),
                root.TryGetProperty("name_truncated", out var truncated) && truncated.ValueKind == JsonValueKind.True,
                Text(root, "state"), Text(root, "action"), Text(root, "seq"), Text(root, "ts"));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return new Row(node, endpoint, "?", "?", false, "(not a roster payload)", "?", "?", "?");
        }
    }

    private static string Text(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) ? "?" : value.ValueKind == JsonValueKind.String ? value.GetString() ?? "?" : value.GetRawText();
}
