using System.Net.Sockets;
using RosterBridge.Daemon;
using RosterBridge.Tests.Simulate;

namespace RosterBridge.Tests.Daemon;

/// <summary>
/// The daemon, played by a test over a real Unix socket: every accepted connection runs the script
/// and is closed when the script returns. A script that fails for another reason than the bridge
/// hanging up fails the test at <see cref="DisposeAsync"/>.
/// </summary>
internal sealed class ScriptedDaemon : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Socket _listener;
    private readonly Func<DaemonConnection, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private readonly Task _accepting;
    private int _connections;

    public ScriptedDaemon(Func<DaemonConnection, Task> script)
    {
        _script = script;
        _directory = SimTestSupport.NewSocketDirectory();
        Endpoint = SimTestSupport.UnixEndpoint(_directory);
        _listener = Endpoint.CreateSocket();
        _listener.Bind(Endpoint.ToEndPoint());
        _listener.Listen();
        _accepting = AcceptAsync();
    }

    public DaemonEndpoint Endpoint { get; }

    /// <summary>Connections accepted so far; the first one is number 1.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptAsync(_stop.Token);
                var connection = new DaemonConnection(socket, Interlocked.Increment(ref _connections), _stop.Token);
                lock (_running)
                {
                    _running.Add(RunAsync(connection));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunAsync(DaemonConnection connection)
    {
        using (connection)
        {
            try
            {
                await _script(connection);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                // The bridge hung up, or the test is over.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        try
        {
            await Task.WhenAll(running);
        }
        finally
        {
            _stop.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
