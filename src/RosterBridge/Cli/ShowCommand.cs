using System.CommandLine;
using System.Text;
using RosterBridge.Config;
using RosterBridge.Mqtt;
using RosterBridge.Nats;
using RosterBridge.Hosting;

namespace RosterBridge.Cli;

/// <summary><c>rosterbridge show</c>: what a subscriber connecting now gets from each broker, for this node or (<c>--all-nodes</c>) node by node for every one.</summary>
internal static class ShowCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var command = new Command("show", "Print what a subscriber connecting now gets from each broker (the retained MQTT topics, the NATS stream's last messages, or in KV mode the bucket's keys), with the same configuration as run.");
        var config = new ConfigOptions(command);
        var allNodes = AllNodesOption();
        command.Add(allNodes);
        command.SetAction((result, stop) => RunAsync(config.Values(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, stop, result.GetValue(allNodes)));
        HelpSections.Set(
            command,
            HelpSections.KeysText,
            HelpSections.Examples(
                "rosterbridge show --node pve1",
                "rosterbridge show --node pve1 --mqtt mqtt://broker:1883 --nats off",
                "rosterbridge show --node pve1 --Nats:Mode=kv",
                "rosterbridge show --all-nodes --nats nats://a:4222,nats://b:4222,nats://c:4222 --mqtt off"));
        return command;
    }

    /// <summary>The option that widens <c>show</c> and <c>watch</c> from one node to every node under the prefix.</summary>
    public static Option<bool> AllNodesOption() => new("--all-nodes")
    {
        Description = "every node's roster under the prefix, node by node (NATS: vmsig.*.roster.*, in KV mode the keys *.>; MQTT: vmsig/+/roster/+), not only this node's",
    };

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> commandLine, TextWriter output, TextWriter error, CancellationToken stop, bool allNodes = false)
    {
        if (allNodes && commandLine.ContainsKey("Node"))
        {
            await error.WriteLineAsync("rosterbridge show: --all-nodes shows every node; it takes no --node. See 'rosterbridge show --help'.");
            return ExitCodes.BadConfig;
        }

        BridgeOpts opts;
        try
        {
            opts = ConfigLoader.Parse(ConfigLoader.Build(commandLine, RunCommand.EnvironmentVariables(), AppContext.BaseDirectory), Environment.MachineName);
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync($"rosterbridge: {ex.Message}");
            return ExitCodes.BadConfig;
        }

        var failed = false;
        if (opts.Mqtt is { } mqtt)
        {
            try
            {
                var node = allNodes ? "+" : opts.Node;
                var retained = await MqttRosterReader.ReadRetainedAsync(mqtt, node, Timeout, stop, probeNode: opts.Node);
                await output.WriteLineAsync($"MQTT {mqtt.Url.ToString("mqtt")}: {retained.Count} retained under {MqttTopics.RosterFilter(mqtt.TopicPrefix, node)}{Nodes(retained.Keys, TopicNode, allNodes)}");
                foreach (var group in ByNode(retained.Keys, TopicNode))
                {
                    if (allNodes)
                    {
                        await output.WriteLineAsync($"  node {group.Key}: {group.Count()} retained");
                    }

                    foreach (var topic in group)
                    {
                        await output.WriteLineAsync($"  {topic}  {Readable(retained[topic], mqtt.Format)}");
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                await error.WriteLineAsync($"MQTT {mqtt.Url.ToString("mqtt")}: {ex.Message}");
                failed = true;
            }
        }

        if (opts.Nats is { } nats)
        {
            try
            {
                var node = allNodes ? "*" : opts.Node;
                var entries = (await NatsRosterReader.ReadLastAsync(nats, node, stop)).ToDictionary(entry => entry.Subject, StringComparer.Ordinal);
                Func<string, string> nodeOf = nats.Mode == NatsMode.Kv ? NodeOfKey : subject => NodeOf(subject, '.');
                var deleted = entries.Values.Count(entry => entry.IsDelete);
                await output.WriteLineAsync(
                    $"NATS {nats.ServerList} {NatsRosterReader.Where(nats, node)}: {entries.Count - deleted} entries and {deleted} deletes{Nodes(entries.Keys, nodeOf, allNodes)}");
                foreach (var group in ByNode(entries.Keys, nodeOf))
                {
                    if (allNodes)
                    {
                        var gone = group.Count(subject => entries[subject].IsDelete);
                        await output.WriteLineAsync($"  node {group.Key}: {group.Count() - gone} entries and {gone} deletes");
                    }

                    foreach (var entry in group.Select(subject => entries[subject]))
                    {
                        await output.WriteLineAsync(entry.IsDelete
                            ? $"  {entry.Subject}  (deleted: KV-Operation: DEL)"
                            : $"  {entry.Subject}  {Readable(entry.Body, nats.Format)}");
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                await error.WriteLineAsync($"NATS {nats.ServerList}: {ex.Message}");
                failed = true;
            }
        }

        return failed ? ExitCodes.Failure : ExitCodes.Ok;
    }

    /// <summary>The names (topics, subjects, keys) by node, nodes in order; within a node shorter first, then by text, so endpoints 0..63 come out in numeric order.</summary>
    private static IEnumerable<IGrouping<string, string>> ByNode(IEnumerable<string> names, Func<string, string> nodeOf) =>
        names.OrderBy(nodeOf, StringComparer.Ordinal)
            .ThenBy(name => name.Length)
            .ThenBy(name => name, StringComparer.Ordinal)
            .GroupBy(nodeOf, StringComparer.Ordinal);

    private static string TopicNode(string topic) => NodeOf(topic, '/');

    /// <summary>"prefix/node/roster/3" → "node": the level before "roster".</summary>
    private static string NodeOf(string name, char separator)
    {
        var parts = name.Split(separator);
        return parts.Length >= 3 ? parts[^3] : name;
    }

    /// <summary>The KV key "node.3" (or "node.3.x", a key under the node that is no endpoint) → "node": its first token.</summary>
    private static string NodeOfKey(string key)
    {
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? key : key[..dot];
    }

    private static string Nodes(IEnumerable<string> names, Func<string, string> nodeOf, bool allNodes) =>
        allNodes ? $" from {names.Select(nodeOf).Distinct(StringComparer.Ordinal).Count()} node(s)" : string.Empty;

    private static string Readable(byte[] payload, Payload.PayloadFormat format)
    {
        if (format == Payload.PayloadFormat.MessagePack)
        {
            try
            {
                return MessagePackJson.Convert(payload);
            }
            catch (FormatException)
            {
                // Not MessagePack after all (another writer, or another format setting): show it as text.
            }
        }

        return Encoding.UTF8.GetString(payload);
    }
}
