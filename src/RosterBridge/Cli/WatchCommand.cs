using System.CommandLine;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.Mqtt;
using RosterBridge.Nats;
using Spectre.Console;

namespace RosterBridge.Cli;

/// <summary>
/// <c>rosterbridge watch --mqtt URL | --nats URL</c>: a late subscriber's live view of the roster.
/// On a terminal a table redrawn in place (Spectre.Console's live display); redirected, or with
/// <c>--plain</c>, one line per change. The broker side is the readers' (<see cref="MqttRosterReader"/>,
/// <see cref="NatsRosterReader"/>), the state is <see cref="WatchedRoster"/>'s; this only draws.
/// </summary>
internal static class WatchCommand
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public static Command Create()
    {
        var command = new Command("watch", "Show the roster as a subscriber connecting now sees it, and every change after: a table redrawn in place on a terminal, one line per change otherwise. Name one broker: --mqtt URL or --nats URL.");
        var config = new ConfigOptions(command);
        var plain = new Option<bool>("--plain") { Description = "one line per change even on a terminal" };
        var allNodes = ShowCommand.AllNodesOption();
        command.Add(plain);
        command.Add(allNodes);
        command.SetAction((result, stop) => RunAsync(config.Values(result), result.GetValue(plain), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, stop, result.GetValue(allNodes)));
        HelpSections.Set(
            command,
            """
            Every node under the prefix is shown (--all-nodes says so explicitly: the whole cluster's roster,
            node by node), or only the one --node names. Credentials, prefixes and
            the rest come from the configuration as for run (--Mqtt:Username, ROSTERBRIDGE_NATS__PASSWORD, ...).
            Plain lines: "pve1/3 running vmid=101 name="web-01" seq=42 ts=... action=attach", "pve1/3 vacant".
            Exit codes: 0 stopped (SIGINT, SIGTERM), 1 the broker cannot be reached or the connection was lost,
            2 bad configuration or command line.
            """,
            HelpSections.Examples(
                "rosterbridge watch --mqtt mqtt://localhost:1883",
                "rosterbridge watch --nats nats://localhost:4222 --node pve1",
                "rosterbridge watch --nats nats://localhost:4222 --Nats:Mode=kv",
                "rosterbridge watch --all-nodes --nats nats://a:4222,nats://b:4222,nats://c:4222",
                "rosterbridge watch --mqtt mqtt://broker:1883 --plain | grep crashed"));
        return command;
    }

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> commandLine, bool plain, TextWriter output, TextWriter error, CancellationToken stop, bool allNodes = false)
    {
        if (allNodes && commandLine.ContainsKey("Node"))
        {
            await error.WriteLineAsync("rosterbridge watch: --all-nodes shows every node; it takes no --node. See 'rosterbridge watch --help'.");
            return ExitCodes.BadConfig;
        }

        var mqttNamed = commandLine.ContainsKey("Mqtt:Url");
        var natsNamed = commandLine.ContainsKey("Nats:Url");
        if (mqttNamed == natsNamed)
        {
            await error.WriteLineAsync("rosterbridge watch: name one broker: --mqtt URL or --nats URL. See 'rosterbridge watch --help'.");
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

        var node = commandLine.TryGetValue("Node", out var named) && !string.IsNullOrWhiteSpace(named) ? opts.Node : null;
        string source;
        char separator;
        IAsyncEnumerable<(string Key, byte[] Payload, bool Deleted)> messages;
        if (mqttNamed && opts.Mqtt is { } mqtt)
        {
            source = $"mqtt://{mqtt.Url.Host}:{mqtt.Url.Port} {MqttTopics.RosterFilter(mqtt.TopicPrefix, node ?? "+")}";
            separator = '/';
            messages = FromMqtt(mqtt, node ?? "+", stop);
        }
        else if (natsNamed && opts.Nats is { } nats)
        {
            source = $"{nats.ServerList} {NatsRosterReader.Where(nats, node ?? "*")}";
            separator = '.';
            messages = FromNats(nats, node ?? "*", stop);
        }
        else
        {
            await error.WriteLineAsync("rosterbridge watch: the broker named is 'off': nothing to watch.");
            return ExitCodes.BadConfig;
        }

        var roster = new WatchedRoster();
        try
        {
            if (plain || Console.IsOutputRedirected)
            {
                await error.WriteLineAsync($"watching {source} (SIGINT to stop)");
                await foreach (var (key, payload, deleted) in messages)
                {
                    if (roster.Apply(key, separator, payload, deleted) is { } line)
                    {
                        await output.WriteLineAsync(line);
                        await output.FlushAsync(stop); // a pipe's reader wants each change as it comes
                    }
                }
            }
            else
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
                await console.Live(WatchTable.Render(roster, source, "connecting")).AutoClear(false).StartAsync(async live =>
                {
                    live.UpdateTarget(WatchTable.Render(roster, source, "connected"));
                    await foreach (var (key, payload, deleted) in messages)
                    {
                        if (roster.Apply(key, separator, payload, deleted) is not null)
                        {
                            live.UpdateTarget(WatchTable.Render(roster, source, $"last change {DateTimeOffset.Now:HH:mm:ss}"));
                        }
                    }
                });
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            await error.WriteLineAsync($"rosterbridge watch: {source}: {ex.Message}");
            return ExitCodes.Failure;
        }

        return ExitCodes.Ok;
    }

    private static async IAsyncEnumerable<(string Key, byte[] Payload, bool Deleted)> FromMqtt(MqttSinkOpts mqtt, string node, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop)
    {
        await foreach (var (topic, payload) in MqttRosterReader.WatchAsync(mqtt, node, ConnectTimeout, stop))
        {
            yield return (topic, payload, false);
        }
    }

    private static async IAsyncEnumerable<(string Key, byte[] Payload, bool Deleted)> FromNats(NatsSinkOpts nats, string node, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stop)
    {
        await foreach (var entry in NatsRosterReader.WatchAsync(nats, node, stop))
        {
            yield return (entry.Subject, entry.Body, entry.IsDelete);
        }
    }
}
