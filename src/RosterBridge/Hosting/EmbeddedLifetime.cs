using Microsoft.Extensions.Hosting;

namespace RosterBridge.Hosting;

/// <summary>The lifetime of a bridge's host inside another program (tests, benchmarks): it takes no signals, the caller's token stops it.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
