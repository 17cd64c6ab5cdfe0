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
        var command = new Command("show", "Print what a subscriber connecting now gets from each broker (the retained MQTT topics, the NATS stream's last messages), with the same configuration as run.");
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
                "rosterbridge show --all-nodes --nats nats://a:4222,nats://b:4222,nats://c:4222 --mqtt off"));
        return command;
    }

    /// <summary>The option that widens <c>show</c> and <c>watch</c> from one node to every node under the prefix.</summary>
    public static Option<bool> AllNodesOption() => new("--all-nodes")
    {
        Description = "every node's roster under the prefix, node by node (NATS: vmsig.*.roster.*, MQTT: vmsig/+/roster/+), not only this node's",
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
                await output.WriteLineAsync($"MQTT {mqtt.Url.ToString("mqtt")}: {retained.Count} retained under {MqttTopics.RosterFilter(mqtt.TopicPrefix, node)}{Nodes(retained.Keys, '/', allNodes)}");
                foreach (var group in ByNode(retained.Keys, '/'))
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
                var deleted = entries.Values.Count(entry => entry.IsDelete);
                await output.WriteLineAsync(
                    $"NATS {nats.ServerList} stream {nats.Stream}: {entries.Count - deleted} entries and {deleted} deletes under {NatsSubjects.RosterFilter(nats.SubjectPrefix, node)}{Nodes(entries.Keys, '.', allNodes)}");
                foreach (var group in ByNode(entries.Keys, '.'))
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

    /// <summary>The names (topics, subjects) by node, nodes in order; within a node shorter first, then by text, so endpoints 0..63 come out in numeric order.</summary>
    private static IEnumerable<IGrouping<string, string>> ByNode(IEnumerable<string> names, char separator) =>
        names.OrderBy(name => NodeOf(name, separator), StringComparer.Ordinal)
            .ThenBy(name => name.Length)
            .ThenBy(name => name, StringComparer.Ordinal)
            .GroupBy(name => NodeOf(name, separator), StringComparer.Ordinal);

    /// <summary>"prefix/node/roster/3" → "node": the level before "roster".</summary>
    private static string NodeOf(string name, char separator)
    {
        var parts = name.Split(separator);
        return parts.Length >= 3 ? parts[^3] : name;
    }

    private static string Nodes(IEnumerable<string> names, char separator, bool allNodes) =>
        allNodes ? $" from {names.Select(name => NodeOf(name, separator)).Distinct(StringComparer.Ordinal).Count()} node(s)" : string.Empty;

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
