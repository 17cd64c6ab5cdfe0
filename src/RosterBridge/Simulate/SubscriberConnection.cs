using System.Buffers.Binary;
using System.Net.Sockets;
using RosterBridge.Frames;

namespace RosterBridge.Simulate;

/// <summary>One accepted connection: its socket, its bounded output and the loops that serve it.</summary>
internal sealed class SubscriberConnection
{
    private readonly Socket _socket;
    private int _aborted;

    public SubscriberConnection(Socket socket, int id, SimulatorOpts opts)
    {
        _socket = socket;
        Id = id;
        Output = new ChunkQueue(opts.ChunkSize, opts.MaxQueuedChunks);
    }

    public int Id { get; }

    public ChunkQueue Output { get; }

    /// <summary>The task serving this connection (set by the daemon after accepting it).</summary>
    public Task? Serving { get; set; }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>
    /// Reads the subscriber's first frame. Null when the connection closed, or sent nothing whole, in
    /// time; otherwise the frame body, or an empty array when its length prefix is out of range.
    /// </summary>
    public async Task<byte[]?> ReadFirstFrameAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var prefix = new byte[VmsigWire.LengthPrefixSize];
            if (!await ReceiveExactlyAsync(prefix, deadline.Token))
            {
                return null;
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
            if (length is < VmsigWire.MinFrameLength or > VmsigWire.MaxFrameLength)
            {
                return [];
            }

            var body = new byte[length];
            return await ReceiveExactlyAsync(body, deadline.Token) ? body : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // no HELLO in time
        }
    }

    /// <summary>Writes the output queue to the socket until either side ends.</summary>
    public async Task PumpAsync()
    {
        var writer = WriteLoopAsync();
        var watcher = WatchForCloseAsync();
        await Task.WhenAny(writer, watcher);
        Abort();
        await Observe(writer);
        await Observe(watcher);
    }

    /// <summary>Sends one frame (an ERROR), then closes gracefully so that the subscriber reads it.</summary>
    public async Task SendAndCloseAsync(ReadOnlyMemory<byte> frame)
    {
        try
        {
            await SendAllAsync(frame);
            _socket.Shutdown(SocketShutdown.Send);

            // Closing with unread input could reset the connection and lose the frame: drain briefly.
            using var linger = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var sink = new byte[256];
            while (await _socket.ReceiveAsync(sink, SocketFlags.None, linger.Token) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The subscriber went first; nothing more to tell it.
        }
        finally
        {
            Abort();
        }
    }

    /// <summary>Drops the connection now: what is queued is discarded. Idempotent, callable from any thread.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        Output.Complete();
        _socket.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            var (buffer, length) = await Output.TakeAsync();
            if (buffer is null)
            {
                return;
            }

            try
            {
                await SendAllAsync(buffer.AsMemory(0, length));
            }
            finally
            {
                ChunkQueue.Return(buffer);
            }
        }
    }

    private async Task WatchForCloseAsync()
    {
        // Whatever a subscriber sends after HELLO is ignored; end of stream means it is gone.
        var sink = new byte[256];
        while (await _socket.ReceiveAsync(sink, SocketFlags.None) > 0)
        {
        }
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    private async Task<bool> ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            buffer = buffer[read..];
        }

        return true;
    }

    private static async Task Observe(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The connection is gone either way.
        }
    }
}
