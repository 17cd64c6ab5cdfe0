using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosterBridge.Health;

namespace RosterBridge.Hosting;

/// <summary><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> while the host runs; nothing when <c>Health:Port</c> is 0.</summary>
internal sealed class HealthService(Bridge bridge, ILoggerFactory logging) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = logging.CreateLogger("rosterbridge.health");
    private HealthServer? _server;
    private BridgeMetrics? _metrics;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var health = bridge.Opts.Health;
        if (health.Port == 0)
        {
            return;
        }

        // The meter lives as long as the server: a bridge without one (Health:Port 0, or one of many
        // in a test process) leaves no instruments behind for another exporter to read.
        var metrics = new BridgeMetrics(bridge);
        var server = new HealthServer(health.Address, health.Port, bridge.Readiness, _log, metrics.Provider);
        try
        {
            await server.StartAsync(cancellationToken);
            _server = server;
            _metrics = metrics;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // Publishing the roster matters more than answering probes: go on without them.
            _log.LogError("cannot listen for health checks on {Address}:{Port}: {Error}; running without /healthz, /readyz and /metrics (set Health:Port, 0 turns it off)",
                health.Address, health.Port, ex.Message);
            await server.DisposeAsync();
            metrics.Dispose();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.DisposeAsync();
        }

        Interlocked.Exchange(ref _metrics, null)?.Dispose();
    }
}
