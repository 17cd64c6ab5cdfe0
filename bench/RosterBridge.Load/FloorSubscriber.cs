using System.Diagnostics;
using System.Net.Sockets;
using RosterBridge.Frames;

namespace RosterBridge.Load;

/// <summary>
/// The floor: a subscriber that says HELLO and then only reads bytes off the socket, counting them.
/// No frame is cut, nothing is decoded: the time the bytes take to arrive, and no more.
/// </summary>
internal sealed class FloorSubscriber : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private readonly Task _reading;
    private readonly CancellationTokenSource _stop = new();
    private long _received;
    private long _target = long.MaxValue;
    private TaskCompletionSource<long>? _reached;

    private FloorSubscriber(Socket socket)
    {
        _socket = socket;
        _reading = Task.Factory.StartNew(ReadLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public static async Task<FloorSubscriber> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            var hello = new byte[EventWriter.WireSize];
            EventWriter.WriteHello(hello, Capabilities.Roster);
            await socket.SendAsync(hello, SocketFlags.None, cancellationToken);
            return new FloorSubscriber(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Completes with the timestamp at which <paramref name="total"/> bytes had been read since connecting.</summary>
    public Task<long> WhenReceivedAsync(long total)
    {
        lock (_gate)
        {
            if (_received >= total)
            {
                return Task.FromResult(Stopwatch.GetTimestamp());
            }

            _target = total;
            _reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _reached.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _reading;
        _stop.Dispose();
    }

    private void ReadLoop()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                var read = _socket.Receive(buffer);
                if (read == 0)
                {
                    Fail(new LoadException("the floor subscriber's connection was closed by the daemon"));
                    return;
                }

                lock (_gate)
                {
                    _received += read;
                    if (_received >= _target)
                    {
                        _target = long.MaxValue;
                        _reached?.TrySetResult(Stopwatch.GetTimestamp());
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested)
            {
                Fail(new LoadException($"the floor subscriber's connection failed: {ex.Message}", ex));
            }
        }
    }

    private void Fail(Exception ex)
    {
        lock (_gate)
        {
            _reached?.TrySetException(ex);
        }
    }
}
