using Microsoft.Extensions.Hosting;

namespace RosterBridge.Hosting;

/// <summary>
/// Stops between the daemon reader and the sinks (the host stops services in the reverse order
/// of their registration): the daemon is no longer read, and the sinks get up to
/// <see cref="Bridge.FlushTimeout"/> to publish what is pending. Not after a fatal error.
/// </summary>
internal sealed class FlushService(Bridge bridge, BridgeOutcome outcome) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        outcome.HasFailed ? Task.CompletedTask : bridge.FlushAsync(Bridge.FlushTimeout, cancellationToken);
}
