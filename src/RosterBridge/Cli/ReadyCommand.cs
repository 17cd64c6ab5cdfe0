using System.CommandLine;
using System.Net.Http;
using RosterBridge.Config;
using RosterBridge.Health;
using RosterBridge.Hosting;

namespace RosterBridge.Cli;

/// <summary>
/// <c>rosterbridge ready</c>: asks a running bridge's <c>/readyz</c> and exits 0 when it is ready,
/// 1 when not (or not answering). For container health checks, where the image has no curl.
/// </summary>
internal static class ReadyCommand
{
    public static Command Create()
    {
        var command = new Command("ready", "Exit 0 when the running bridge's /readyz says ready, 1 when not: a health check. Reads the same configuration as run (Health:Address, Health:Port).");
        var config = new ConfigOptions(command);
        command.SetAction((result, stop) => RunAsync(config.Values(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, stop));
        HelpSections.Set(
            command,
            HelpSections.KeysText,
            HelpSections.Examples("rosterbridge ready", "rosterbridge ready --Health:Port 9090"));
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

        if (opts.Health.Port == 0)
        {
            await error.WriteLineAsync($"rosterbridge: {new ConfigException("Health:Port", "0 turns the health checks off: there is no /readyz to ask").Message}");
            return ExitCodes.BadConfig;
        }

        var url = new Uri($"http://{HealthServer.AskHost(opts.Health.Address)}:{opts.Health.Port}/readyz");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(url, stop);
            await output.WriteLineAsync(await response.Content.ReadAsStringAsync(stop));
            return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await error.WriteLineAsync($"rosterbridge: no answer from {url}: {ex.Message}");
            return ExitCodes.Failure;
        }
    }
}
