using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Health;
using RosterBridge.Hosting;
using RosterBridge.Mqtt;
using RosterBridge.Nats;

namespace RosterBridge.Cli;

/// <summary>
/// <c>rosterbridge check</c>: the configuration validated, then each connection tried once as the
/// bridge would make it (the daemon up to its SYNC, an MQTT connect, a NATS connect and its stream),
/// changing nothing anywhere; a report with secrets hidden, and an exit code saying what failed.
/// </summary>
internal static class CheckCommand
{
    /// <summary>How long each connection check may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static string ExitCodesText => """
        Exit codes:
          0  every check passed
          1  a connection failed (not reachable, no answer in time, credentials refused)
          2  bad configuration or command line, or a broker set up in a way the bridge refuses (the NATS stream)
          3  the daemon refused this subscriber
        """;

    public static Command Create()
    {
        var command = new Command("check", "Validate the configuration and try each connection once (the daemon up to its SYNC, MQTT, NATS and its stream), changing nothing; prints a report with secrets hidden.");
        var config = new ConfigOptions(command);
        command.SetAction((result, stop) => RunAsync(config.Values(result), result.InvocationConfiguration.Output, stop));
        HelpSections.Set(
            command,
            HelpSections.KeysText,
            ExitCodesText,
            HelpSections.Examples(
                "rosterbridge check",
                "rosterbridge check --config /etc/rosterbridge/rosterbridge.json",
                "rosterbridge check --daemon tcp://127.0.0.1:7000 --mqtt mqtt://broker:1883 --nats off"));
        return command;
    }

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> commandLine, TextWriter output, CancellationToken stop)
    {
        var report = new CheckReport(output);
        IConfiguration config;
        try
        {
            config = ConfigLoader.Build(commandLine, RunCommand.EnvironmentVariables(), AppContext.BaseDirectory);
        }
        catch (ConfigException ex)
        {
            report.Add("configuration", CheckReport.Outcome.Misconfigured, ex.Message);
            report.Summary();
            return report.ExitCode;
        }

        report.KeepSecret(config);
        report.Line($"rosterbridge {Commands.Version} check");
        report.Line("settings:");
        report.Settings(config);
        foreach (var key in ConfigLoader.UnknownKeys(config))
        {
            report.Line($"  warning: {key} is not a key RosterBridge knows; ignored (a typo?)");
        }

        foreach (var (what, path) in ReadableSecrets.ReadableByOthers(config, ConfigLoader.FileOf(config, AppContext.BaseDirectory)))
        {
            report.Line($"  warning: {path} ({what}) can be read by other users of this host; chmod o-r it");
        }

        var opts = ConfigLoader.Check(config, Environment.MachineName, out var problems);
        if (opts is null)
        {
            foreach (var problem in problems)
            {
                report.Add("configuration", CheckReport.Outcome.Misconfigured, problem.Message);
            }

            report.Line("no connection was tried");
            report.Summary();
            return report.ExitCode;
        }

        report.Add("configuration", CheckReport.Outcome.Ok,
            $"node {opts.Node}; mqtt {(opts.Mqtt is null ? "off" : "on")}, nats {(opts.Nats is null ? "off" : "on")}; " +
            (opts.Health.Port == 0 ? "no health port" : $"/healthz, /readyz and /metrics on {opts.Health.Address} port {opts.Health.Port}"));
        await CheckDaemonAsync(report, opts.Daemon, stop);
        if (opts.Mqtt is { } mqtt)
        {
            await CheckMqttAsync(report, mqtt, stop);
        }

        if (opts.Nats is { } nats)
        {
            await CheckNatsAsync(report, nats, opts.Node, stop);
        }

        report.Summary();
        return report.ExitCode;
    }

    private static async Task CheckDaemonAsync(CheckReport report, DaemonEndpoint endpoint, CancellationToken stop)
    {
        var subject = $"daemon {endpoint}";
        try
        {
            var synced = await DaemonProbe.SyncOnceAsync(endpoint, Timeout, stop);
            report.Add(subject, CheckReport.Outcome.Ok, string.Create(CultureInfo.InvariantCulture,
                $"WELCOME (session {synced.SessionId:x16}), SYNC after a replay of {synced.Replayed} entries: {synced.Occupied} endpoints occupied") +
                (synced.Rejected > 0 ? $", {synced.Rejected} entries rejected as bad input" : string.Empty));
        }
        catch (DaemonRefusedException ex)
        {
            report.Add(subject, CheckReport.Outcome.Refused, ex.Message);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            report.Add(subject, CheckReport.Outcome.Failed, "permission denied: this user may not open the socket (add it to the socket's group)");
        }
        catch (SocketException ex) when (endpoint.IsUnix && !File.Exists(endpoint.Address))
        {
            report.Add(subject, CheckReport.Outcome.Failed, $"the socket {endpoint.Address} does not exist (is the daemon running? is the path right?): {ex.Message}");
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or DaemonProtocolException)
        {
            report.Add(subject, CheckReport.Outcome.Failed, ex.Message);
        }
    }

    private static async Task CheckMqttAsync(CheckReport report, MqttSinkOpts mqtt, CancellationToken stop)
    {
        var subject = $"mqtt {mqtt.Url.ToString("mqtt")}";
        try
        {
            await MqttProbe.ConnectOnceAsync(mqtt, Timeout, stop);
            report.Add(subject, CheckReport.Outcome.Ok, $"connected (MQTT {(mqtt.Protocol == MqttProtocol.V5 ? "5" : "3.1.1")}{(mqtt.Username is null ? string.Empty : $", as {mqtt.Username}")})");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            report.Add(subject, CheckReport.Outcome.Failed, Describe(ex));
        }
    }

    private static async Task CheckNatsAsync(CheckReport report, NatsSinkOpts nats, string node, CancellationToken stop)
    {
        var subject = $"nats {nats.ServerList}";
        NatsProbe.Result result;
        try
        {
            result = await NatsProbe.CheckOnceAsync(nats, node, Timeout, stop);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            report.Add(subject, CheckReport.Outcome.Failed, Describe(ex));
            return;
        }

        var connected = $"connected (nats-server {result.ServerVersion}{(nats.Username is null ? string.Empty : $", as {nats.Username}")})";
        var entries = nats.Mode == NatsMode.Kv ? "keys" : "subjects";
        if (!result.StreamExists)
        {
            report.Add(subject, CheckReport.Outcome.Ok, $"{connected}; {result.Storage} does not exist yet: the bridge creates it");
        }
        else if (result.Problems.Count == 0)
        {
            report.Add(subject, CheckReport.Outcome.Ok, $"{connected}; {result.Storage} fit for the roster, {result.Entries} {entries} of node {node}" +
                (result.Warning is null ? string.Empty : $"; warning: {result.Warning}"));
        }
        else
        {
            report.Add(subject, CheckReport.Outcome.Misconfigured,
                $"{connected}; {result.Storage} can lose or refuse roster entries: {string.Join("; ", result.Problems)}; the bridge refuses to run with it");
        }
    }

    /// <summary>The message, and the inner one when the outer says little (client libraries wrap socket errors).</summary>
    private static string Describe(Exception ex) =>
        ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.Message} ({inner.Message})" : ex.Message;
}
