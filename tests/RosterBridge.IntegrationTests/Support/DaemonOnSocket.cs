using RosterBridge.Simulate;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>
/// A simulated daemon on a Unix socket in a temporary directory of its own, removed with it. Starting
/// it again is a daemon restart: the same socket, a fresh roster.
/// </summary>
internal sealed class DaemonOnSocket : IAsyncDisposable
{
    private readonly string _directory;
    private SimulatedDaemon? _daemon;

    public DaemonOnSocket(string directoryPrefix)
    {
        _directory = Directory.CreateTempSubdirectory(directoryPrefix).FullName;
    }

    /// <summary>The directory the socket is in, for other files a test needs beside it.</summary>
    public string DirectoryPath => _directory;

    /// <summary>Stops the running daemon, if any, and starts a new one; <paramref name="before"/> sets its roster before it listens.</summary>
    public async Task<SimulatedDaemon> StartAsync(Action<SimulatedDaemon>? before = null)
    {
        await StopAsync();
        _daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_directory, "vmsig.sock"), 0), Quiet = true });
        before?.Invoke(_daemon);
        await _daemon.StartAsync();
        return _daemon;
    }

    /// <summary>Stops the daemon: its socket goes away, as when the daemon exits.</summary>
    public async Task StopAsync()
    {
        if (_daemon is not null)
        {
            await _daemon.DisposeAsync();
            _daemon = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
