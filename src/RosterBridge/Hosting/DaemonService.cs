using Microsoft.Extensions.Hosting;
using RosterBridge.Daemon;

namespace RosterBridge.Hosting;

/// <summary>Reads the daemon's roster stream until the host stops, or until the daemon refuses this subscriber (exit code 3).</summary>
internal sealed class DaemonService(Bridge bridge, FatalErrors fatal) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bridge.LogStarting();
        try
        {
            await bridge.Daemon.RunAsync(stoppingToken);
        }
        catch (DaemonRefusedException ex)
        {
            fatal.Stop(ExitCodes.DaemonRefused, ex, " (check the daemon's policy for this subscriber)");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
#pragma warning disable CA1031 // Whatever else ends the reader ends the bridge, with one line and exit code 1, never a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            fatal.Unexpected("the daemon reader", ex);
        }
    }
}
