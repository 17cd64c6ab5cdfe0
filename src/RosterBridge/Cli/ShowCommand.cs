using System.Text;
using RosterBridge.Config;
using RosterBridge.Mqtt;
using RosterBridge.Nats;

namespace RosterBridge.Cli;

/// <summary><c>rosterbridge show</c>: what a subscriber connecting now gets from each broker.</summary>
internal static class ShowCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(string[] args, IReadOnlyDictionary<string, string?> environment, CancellationToken stop)
    {
        BridgeOpts opts;
        try
        {
            opts = ConfigLoader.Parse(ConfigLoader.Build(args, environment, AppContext.BaseDirectory), Environment.MachineName);
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync($"rosterbridge: {ex.Message}");
            return ExitCodes.BadConfig;
        }

        var output = Console.Out;
        var failed = false;
        if (opts.Mqtt is { } mqtt)
        {
            try
            {
                var retained = await MqttRosterReader.ReadRetainedAsync(mqtt, opts.Node, Timeout, stop);
                await output.WriteLineAsync($"MQTT mqtt://{mqtt.Url.Host}:{mqtt.Url.Port}: {retained.Count} retained under {MqttTopics.RosterFilter(mqtt.TopicPrefix, opts.Node)}");
                foreach (var (topic, payload) in retained.OrderBy(pair => pair.Key.Length).ThenBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    await output.WriteLineAsync($"  {topic}  {Readable(payload, mqtt.Format)}");
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync($"MQTT mqtt://{mqtt.Url.Host}:{mqtt.Url.Port}: {ex.Message}");
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
                    $"NATS nats://{nats.Url.Host}:{nats.Url.Port} stream {nats.Stream}: {entries.Count - deleted} entries and {deleted} deletes under {NatsSubjects.RosterFilter(nats.SubjectPrefix, opts.Node)}");
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
                await Console.Error.WriteLineAsync($"NATS nats://{nats.Url.Host}:{nats.Url.Port}: {ex.Message}");
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
