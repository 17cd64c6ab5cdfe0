using System.Net.Http;
using RosterBridge.Config;

namespace RosterBridge.Cli;

/// <summary>
/// <c>rosterbridge ready</c>: asks a running bridge's <c>/readyz</c> and exits 0 when it is ready,
/// 1 when not (or not answering). For container health checks, where the image has no curl.
/// </summary>
internal static class ReadyCommand
{
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

        if (opts.Health.Port == 0)
        {
            await Console.Error.WriteLineAsync("rosterbridge: Health:Port is 0: the bridge answers no health checks");
            return ExitCodes.BadConfig;
        }

        var host = opts.Health.Address is "0.0.0.0" or "*" or "+" or "::" ? "127.0.0.1" : opts.Health.Address;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://{host}:{opts.Health.Port}/readyz"), stop);
            Console.WriteLine(await response.Content.ReadAsStringAsync(stop));
            return response.IsSuccessStatusCode ? ExitCodes.Ok : ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"rosterbridge: no answer from http://{host}:{opts.Health.Port}/readyz: {ex.Message}");
            return ExitCodes.Failure;
        }
    }
}
