using System.Globalization;
using System.Text;
using System.Text.Json;
using RosterBridge.IntegrationTests.Support;
using WatchedRoster = RosterBridge.Cli.WatchedRoster;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// What <c>rosterbridge show --all-nodes</c> and <c>watch --all-nodes --plain</c> print, read back
/// into each node's roster, so the commands are judged as exactly as a late subscriber is.
/// </summary>
internal static class CommandOutput
{
    private static readonly string[] StateNames = ["unknown", "stopped", "starting", "running", "paused", "suspended", "stopping", "migrating", "crashed"];

    /// <summary>A writer the command writes from its own task while the test reads it.</summary>
    public sealed class Captured : StringWriter
    {
        private readonly Lock _lock = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_lock)
            {
                base.WriteLine(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public string[] Lines()
        {
            lock (_lock)
            {
                return ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
        }
    }

    /// <summary>
    /// show's entry lines (<c>  vmsig.pve1.roster.3  {json}</c>, <c>  vmsig/pve1/roster/3  {json}</c>, the KV key <c>  pve1.3  {json}</c>) by node;
    /// a delete line counts as deleted. The node headers (<c>  node pve1: 3 entries...</c>) are returned too.
    /// </summary>
    public static (IReadOnlyDictionary<string, RosterView> Nodes, IReadOnlyList<string> Headers) Show(string output, char separator)
    {
        ArgumentNullException.ThrowIfNull(output);
        var entries = new Dictionary<string, Dictionary<int, JsonElement>>(StringComparer.Ordinal);
        var deleted = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var headers = new List<string>();
        foreach (var line in output.Split('\n').Select(line => line.TrimEnd('\r')))
        {
            if (line.StartsWith("  node ", StringComparison.Ordinal))
            {
                headers.Add(line.Trim());
                continue;
            }

            var gap = line.StartsWith("  ", StringComparison.Ordinal) ? line.IndexOf("  ", 2, StringComparison.Ordinal) : -1;
            if (gap < 0)
            {
                continue;
            }

            var parts = line[2..gap].Split(separator);
            // A subject or topic has the node two levels before the endpoint; a KV key (node.3) right before it.
            var node = parts.Length == 2 ? parts[0] : parts[^3];
            var endpoint = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            var body = line[(gap + 2)..];
            if (body.StartsWith("(deleted", StringComparison.Ordinal))
            {
                (deleted.TryGetValue(node, out var gone) ? gone : deleted[node] = []).Add(endpoint);
                continue;
            }

            using var json = JsonDocument.Parse(body);
            (entries.TryGetValue(node, out var known) ? known : entries[node] = [])[endpoint] = json.RootElement.Clone();
        }

        var nodes = entries.Keys.Union(deleted.Keys).ToDictionary(
            node => node,
            node => new RosterView(entries.GetValueOrDefault(node) ?? [], deleted.GetValueOrDefault(node) ?? []),
            StringComparer.Ordinal);
        return (nodes, headers);
    }

    /// <summary>watch's plain lines, the last one per endpoint: <c>node/endpoint</c> → the rest of the line (or <c>vacant</c>).</summary>
    public static IReadOnlyDictionary<(string Node, int Endpoint), string> Watch(IEnumerable<string> lines)
    {
        var last = new Dictionary<(string, int), string>();
        foreach (var line in lines)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var slash = line.LastIndexOf('/', space < 0 ? line.Length - 1 : space);
            if (space < 0 || slash < 0 || !int.TryParse(line.AsSpan(slash + 1, space - slash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var endpoint))
            {
                continue;
            }

            last[(line[..slash], endpoint)] = line[(space + 1)..];
        }

        return last;
    }

    /// <summary>The first endpoint whose last watch line is not the daemon's state; null when every node's is.</summary>
    public static string? WatchMismatch(IReadOnlyDictionary<(string Node, int Endpoint), string> watched, IEnumerable<(string Node, IReadOnlyList<Simulate.RosterSlot?> Roster)> daemons)
    {
        ArgumentNullException.ThrowIfNull(watched);
        ArgumentNullException.ThrowIfNull(daemons);
        foreach (var (node, roster) in daemons)
        {
            for (var endpoint = 0; endpoint < roster.Count; endpoint++)
            {
                var line = watched.GetValueOrDefault((node, endpoint));
                if (roster[endpoint] is { } slot)
                {
                    var state = slot.State < StateNames.Length ? StateNames[slot.State] : $"state_{slot.State}";
                    var expected = string.Create(CultureInfo.InvariantCulture, $"{state} vmid={slot.Vmid} name={WatchedRoster.Quoted(slot.WireName)}");
                    if (line is null || !line.StartsWith(expected + " ", StringComparison.Ordinal))
                    {
                        return $"{node}/{endpoint}: expected '{expected}', watched '{line ?? "(nothing)"}'";
                    }
                }
                else if (line is not (null or "vacant"))
                {
                    return $"{node}/{endpoint}: expected vacant, watched '{line}'";
                }
            }
        }

        return null;
    }
}
