using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosterBridge.Health;

namespace RosterBridge.Hosting;

/// <summary><c>/healthz</c> and <c>/readyz</c> while the host runs; nothing when <c>Health:Port</c> is 0.</summary>
internal sealed class HealthService(Bridge bridge, ILoggerFactory logging) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = logging.CreateLogger("rosterbridge.health");
    private HealthServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var health = bridge.Opts.Health;
        if (health.Port == 0)
        {
            return;
        }

        var server = new HealthServer(health.Address, health.Port, bridge.Readiness, _log);
        try
        {
            await server.StartAsync(cancellationToken);
            _server = server;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // Publishing the roster matters more than answering probes: go on without them.
            _log.LogError("cannot listen for health checks on {Address}:{Port}: {Error}; running without /healthz and /readyz (set Health:Port, 0 turns it off)",
                health.Address, health.Port, ex.Message);
            await server.DisposeAsync();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.DisposeAsync();
        }
    }
}
