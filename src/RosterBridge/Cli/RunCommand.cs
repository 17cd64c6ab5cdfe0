using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Health;
using RosterBridge.Outbox;

namespace RosterBridge.Cli;

/// <summary><c>rosterbridge run</c>: the bridge, until SIGTERM.</summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(string[] args, IReadOnlyDictionary<string, string?> environment, CancellationToken stop)
    {
        BridgeOpts opts;
        Microsoft.Extensions.Configuration.IConfiguration config;
        try
        {
            config = ConfigLoader.Build(args, environment, AppContext.BaseDirectory);
            opts = ConfigLoader.Parse(config, Environment.MachineName);
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync($"rosterbridge: {ex.Message}");
            return ExitCodes.BadConfig;
        }

        using var logging = Logs.Create(config);
        var log = logging.CreateLogger("rosterbridge");
        foreach (var key in ConfigLoader.UnknownKeys(config))
        {
            log.LogWarning("configuration key {Key} is not one RosterBridge knows; ignored (a typo?)", key);
        }

        var bridge = new Bridge(opts, logging);
        await using var healthServer = opts.Health.Port == 0
            ? null
            : new HealthServer(opts.Health.Address, opts.Health.Port, bridge.Readiness, logging.CreateLogger("rosterbridge.health"));
        try
        {
            healthServer?.Start();
        }
        catch (System.Net.HttpListenerException ex)
        {
            // Publishing the roster matters more than answering probes: go on without them.
            log.LogError("cannot listen for health checks on {Address}:{Port}: {Error}; running without /healthz and /readyz (set Health:Port, 0 turns it off)",
                opts.Health.Address, opts.Health.Port, ex.Message);
        }

        try
        {
            await bridge.RunAsync(stop);
            log.LogInformation("stopped");
            return ExitCodes.Ok;
        }
        catch (DaemonRefusedException ex)
        {
            log.LogCritical("{Problem}; stopping (check the daemon's policy for this subscriber)", ex.Message);
            return ExitCodes.DaemonRefused;
        }
        catch (SinkConfigException ex)
        {
            log.LogCritical("{Problem}; stopping", ex.Message);
            return ExitCodes.BadConfig;
        }
    }
}
