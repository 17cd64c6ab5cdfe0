using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace RosterBridge.Tests.Peers;

/// <summary>
/// A TCP server on loopback that serves each connection with a script of its own, and reports what
/// it reads as <typeparamref name="TSeen"/> items that tests wait on.
/// </summary>
internal abstract class ScriptedPeer<TSeen> : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _connectionCount;

    protected ScriptedPeer()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>What the peer read, in order.</summary>
    public Channel<TSeen> Seen { get; } = Channel.CreateUnbounded<TSeen>();

    protected CancellationTokenSource Stop { get; } = new();

    /// <summary>The next item that matches, within 10 s.</summary>
    public async Task<TSeen> NextAsync(Func<TSeen, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var item = await Seen.Reader.ReadAsync(timeout.Token);
            if (match(item))
            {
                return item;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stop.CancelAsync();
        _listener.Stop();
        Task[] all;
        lock (_connections)
        {
            all = [_accepting, .. _connections];
        }

        await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(10));
        Stop.Dispose();
    }

    /// <summary>Serves one connection (numbered 1, 2, ... in the order they came) until it ends.</summary>
    protected abstract Task ServeAsync(NetworkStream stream, int connection);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(Stop.Token);
                lock (_connections)
                {
                    _connections.Add(ServeClientAsync(client, Interlocked.Increment(ref _connectionCount)));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task ServeClientAsync(TcpClient client, int connection)
    {
        using var _ = client;
        try
        {
            await ServeAsync(client.GetStream(), connection);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or EndOfStreamException)
        {
            // the client went away, or the peer stops
        }
    }
}
