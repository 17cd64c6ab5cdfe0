using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using RosterBridge.Frames;

namespace RosterBridge.Simulate;

/// <summary>
/// One accepted connection: its socket, its bounded output and the loops that serve it. The output
/// is a pipe: the daemon writes events into it under its lock, a loop copies it to the socket, and
/// the pipe's pause threshold bounds what a subscriber can have outstanding.
/// </summary>
internal sealed class SubscriberConnection
{
    private readonly Socket _socket;
    private readonly Pipe _output;
    private int _aborted;

    public SubscriberConnection(Socket socket, int id, SimulatorOpts opts)
    {
        _socket = socket;
        Id = id;
        _output = new Pipe(new PipeOptions(
            pauseWriterThreshold: opts.MaxBufferedBytes,
            resumeWriterThreshold: opts.MaxBufferedBytes / 2,

            // The emitter blocks on a paused flush (see TryWrite); resuming it inline, from the loop
            // that frees the room, keeps its wake-up independent of a busy thread pool.
            writerScheduler: PipeScheduler.Inline,

            // The copy loop makes one send per segment: with the default 4 KiB segments, a burst
            // took about seven times as many send calls and ran markedly slower.
            minimumSegmentSize: 64 * 1024));
    }

    public int Id { get; }

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

    /// <summary>
    /// Appends <paramref name="bytes"/> to the output. The caller holds the daemon's lock, which also
    /// serializes every use of the pipe's writer. When the subscriber is
    /// <see cref="SimulatorOpts.MaxBufferedBytes"/> behind, waits for it (backpressure on the emitter),
    /// up to <paramref name="timeout"/>. False when the connection is aborted or stayed behind that long:
    /// the caller then drops it, as its stream may now miss bytes.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> bytes, TimeSpan timeout)
    {
        _output.Writer.Write(bytes);
        var flush = _output.Writer.FlushAsync();
        FlushResult result;
        if (flush.IsCompleted)
        {
            result = flush.Result;
        }
        else
        {
            // The emitting APIs are synchronous and must stay atomic under the lock, so wait here.
            var paused = flush.AsTask();
            if (!paused.Wait(timeout))
            {
                return false;
            }

            result = paused.Result;
        }

        return !result.IsCanceled && !result.IsCompleted;
    }

    /// <summary>Ends the output for good (under the daemon's lock, like every write) so the pipe can free its buffers.</summary>
    public void CompleteOutput() => _output.Writer.Complete();

    /// <summary>Writes the output to the socket until either side ends.</summary>
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

        // What is buffered is dropped: the copy loop stops at its next read (or its send fails on the
        // closed socket), and an emitter waiting for room gives up at once.
        _output.Reader.CancelPendingRead();
        _output.Writer.CancelPendingFlush();
        _socket.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await using var stream = new NetworkStream(_socket, ownsSocket: false);
            await _output.Reader.CopyToAsync(stream); // ends with OperationCanceledException on Abort
        }
        finally
        {
            // Aborted first, so that an emitter that finds the output completed knows why (not a slow reader).
            Abort();
            await _output.Reader.CompleteAsync();
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
