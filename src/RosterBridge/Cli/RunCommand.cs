using System.Collections;
using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RosterBridge.Config;
using RosterBridge.Hosting;

namespace RosterBridge.Cli;

/// <summary><c>rosterbridge run</c>: the bridge in a host, until SIGTERM or SIGINT (or something fatal).</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Run the bridge until SIGTERM or SIGINT: the daemon's roster, one entry per endpoint, on MQTT and NATS JetStream.");
        var config = new ConfigOptions(command);
        command.SetAction(result => RunAsync(config.Values(result), result.InvocationConfiguration.Error));
        HelpSections.Set(
            command,
            HelpSections.KeysText,
            HelpSections.ExitCodesText,
            HelpSections.Examples(
                "rosterbridge run --node pve1 --daemon unix:///run/vmsig/vmsig.sock --mqtt mqtt://localhost:1883 --nats nats://localhost:4222",
                "rosterbridge run --nats off --Mqtt:Format=msgpack --Health:Port 0",
                "ROSTERBRIDGE_MQTT__URL=mqtt://broker:1883 rosterbridge run --config /etc/rosterbridge.json"));
        return command;
    }

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string?> commandLine, TextWriter error)
    {
        IConfiguration config;
        try
        {
            config = ConfigLoader.Build(commandLine, EnvironmentVariables(), AppContext.BaseDirectory);
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync($"rosterbridge: {ex.Message}");
            return ExitCodes.BadConfig;
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSystemd();
        Logs.AddBridgeConsole(builder.Logging, LoggingSettings.ParseLevel(config["Logging:Level"]), LoggingSettings.IsJson(config["Logging:Format"]));
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        builder.Services.AddBridgeSettings(config, Environment.MachineName);
        builder.Services.AddSingleton(provider => new Bridge(provider.GetRequiredService<BridgeOpts>(), provider.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddBridgeServices();
        var host = builder.Build();

        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("rosterbridge");
        var outcome = host.Services.GetRequiredService<BridgeOutcome>();
        foreach (var key in ConfigLoader.UnknownKeys(config))
        {
            log.LogWarning("configuration key {Key} is not one RosterBridge knows; ignored (a typo?)", key);
        }

        foreach (var (what, path) in ReadableSecrets.ReadableByOthers(config, ConfigLoader.FileOf(config, AppContext.BaseDirectory)))
        {
            log.LogWarning("{Path} ({What}) can be read by other users of this host; chmod o-r it (e.g. 0640, owned by the bridge's user or group)", path, what);
        }

        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() =>
        {
            if (!outcome.HasFailed)
            {
                log.LogInformation("stopped");
            }
        });
        try
        {
            await host.RunAsync(); // disposes the host
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync($"rosterbridge: {ex.Message}");
            return ExitCodes.BadConfig;
        }
        catch (OptionsValidationException ex)
        {
            foreach (var failure in ex.Failures)
            {
                await error.WriteLineAsync($"rosterbridge: {ConfigException.FromFailure(failure).Message}");
            }

            return ExitCodes.BadConfig;
        }

        return outcome.ExitCode;
    }

    public static Dictionary<string, string?> EnvironmentVariables() =>
        Environment.GetEnvironmentVariables()
            .Cast<DictionaryEntry>()
            .ToDictionary(entry => (string)entry.Key, entry => (string?)entry.Value);
}
