using Microsoft.Extensions.Hosting;
using RosterBridge.Outbox;

namespace RosterBridge.Hosting;

/// <summary>
/// Keeps one sink publishing until the host stops; its runner then says <c>offline</c> on the broker (bounded).
/// A broker set up in a way the bridge refuses to change stops the bridge with exit code 2.
/// Nothing to do when the configuration turned this sink off.
/// </summary>
internal sealed class SinkService(string name, Bridge bridge, FatalErrors fatal) : BackgroundService
{
    private readonly SinkRunner? _runner = bridge.Sink(name);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_runner is null)
        {
            return;
        }

        try
        {
            await _runner.RunAsync(stoppingToken);
        }
        catch (SinkConfigException ex)
        {
            fatal.Stop(ExitCodes.BadConfig, ex, string.Empty);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
#pragma warning disable CA1031 // Whatever else ends a sink ends the bridge, with one line and exit code 1, never a crash.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            fatal.Unexpected($"the {name} sink", ex);
        }
    }
}
