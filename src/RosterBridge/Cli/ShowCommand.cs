using System.CommandLine;
using System.Text;
using RosterBridge.Config;
using RosterBridge.Mqtt;
using RosterBridge.Nats;
using RosterBridge.Hosting;

namespace RosterBridge.Cli;

/// <summary><c>rosterbridge show</c>: what a subscriber connecting now gets from each broker.</summary>
internal static class ShowCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var command = new Command("show", "Print what a subscriber connecting now gets from each broker (the retained MQTT topics, the NATS stream's last messages), with the same configuration as run.");
        var config = new ConfigOptions(command);
        command.SetAction((result, stop) => RunAsync(config.Values(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, stop));
        HelpSections.Set(
            command,
            HelpSections.KeysText,
            HelpSections.Examples("rosterbridge show --node pve1", "rosterbridge show --node pve1 --mqtt mqtt://broker:1883 --nats off"));
        return command;
    }

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> commandLine, TextWriter output, TextWriter error, CancellationToken stop)
    {
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
                var retained = await MqttRosterReader.ReadRetainedAsync(mqtt, opts.Node, Timeout, stop);
                await output.WriteLineAsync($"MQTT {mqtt.Url.ToString("mqtt")}: {retained.Count} retained under {MqttTopics.RosterFilter(mqtt.TopicPrefix, opts.Node)}");
                foreach (var (topic, payload) in retained.OrderBy(pair => pair.Key.Length).ThenBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    await output.WriteLineAsync($"  {topic}  {Readable(payload, mqtt.Format)}");
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
                var entries = await NatsRosterReader.ReadLastAsync(nats, opts.Node, stop);
                var deleted = entries.Count(entry => entry.IsDelete);
                await output.WriteLineAsync(
                    $"NATS {nats.ServerList} stream {nats.Stream}: {entries.Count - deleted} entries and {deleted} deletes under {NatsSubjects.RosterFilter(nats.SubjectPrefix, opts.Node)}");
                // Shorter first, then by text: endpoints 0..63 under one prefix come out in numeric order.
                foreach (var entry in entries.OrderBy(entry => entry.Subject.Length).ThenBy(entry => entry.Subject, StringComparer.Ordinal))
                {
                    await output.WriteLineAsync(entry.IsDelete
                        ? $"  {entry.Subject}  (deleted: KV-Operation: DEL)"
                        : $"  {entry.Subject}  {Readable(entry.Body, nats.Format)}");
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
