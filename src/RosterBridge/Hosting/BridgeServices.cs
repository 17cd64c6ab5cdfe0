using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RosterBridge.Hosting;

/// <summary>The bridge's parts as hosted services, in the order that makes a clean stop.</summary>
internal static class BridgeServices
{
    /// <summary>
    /// Registers the services that run a <see cref="Bridge"/> (which must be registered too). The
    /// host starts them in this order and stops them in the reverse one: health, daemon reader
    /// (no more events), the flush (up to 5 s), then each sink (stops, says offline).
    /// </summary>
    public static IServiceCollection AddBridgeServices(this IServiceCollection services)
    {
        services.AddSingleton<BridgeOutcome>();
        services.AddSingleton<FatalErrors>();
        services.Configure<HostOptions>(host =>
        {
            host.ServicesStartConcurrently = false;
            host.ServicesStopConcurrently = false;
            host.ShutdownTimeout = Bridge.FlushTimeout + Bridge.OfflineTimeout;
        });
        foreach (var name in Bridge.SinkNames)
        {
            // Not AddHostedService: it registers one service per type, and there is one per sink.
            services.AddSingleton<IHostedService>(provider => new SinkService(
                name, provider.GetRequiredService<Bridge>(), provider.GetRequiredService<FatalErrors>()));
        }

        services.AddHostedService<FlushService>();
        services.AddHostedService<DaemonService>();
        services.AddHostedService<HealthService>();
        return services;
    }

    /// <summary>
    /// Runs the bridge as <c>rosterbridge run</c> does, in a host of its own inside this process,
    /// until <paramref name="stop"/>: then stops reading the daemon, flushes, says offline. Throws
    /// the error that stopped it early (<see cref="Daemon.DaemonRefusedException"/>, <see cref="Outbox.SinkConfigException"/>).
    /// </summary>
    public static async Task RunAsync(this Bridge bridge, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.AddSingleton(bridge.Logging); // the caller's logging, which outlives this host
        builder.Services.AddSingleton(bridge); // the caller's too: not disposed with the host
        builder.Services.AddBridgeServices();
        var host = builder.Build();
        var outcome = host.Services.GetRequiredService<BridgeOutcome>();
        await host.RunAsync(stop); // disposes the host
        outcome.ThrowIfFailed();
    }
}
