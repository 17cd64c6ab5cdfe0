using System.Buffers;
using System.Diagnostics;

namespace RosterBridge.Simulate;

/// <summary>
/// One subscriber's bounded output: bytes are appended into a pooled chunk, full chunks wait in a
/// queue of at most <c>maxQueued</c>, and the writer takes whatever is there (full chunks first,
/// then the partly filled one), so events that pile up while a write is in flight go out together.
/// When the queue is full the producer waits, up to a timeout; memory per subscriber is bounded by
/// (maxQueued + 2) chunks.
/// </summary>
internal sealed class ChunkQueue
{
    private readonly object _sync = new();
    private readonly Queue<(byte[] Buffer, int Length)> _full = new();
    private readonly int _chunkSize;
    private readonly int _maxQueued;
    private byte[]? _open;
    private int _openLength;
    private bool _completed;
    private TaskCompletionSource? _dataWaiter;

    public ChunkQueue(int chunkSize, int maxQueued)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 256);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueued, 1);
        _chunkSize = chunkSize;
        _maxQueued = maxQueued;
    }

    public bool IsCompleted
    {
        get
        {
            lock (_sync)
            {
                return _completed;
            }
        }
    }

    /// <summary>
    /// Appends all of <paramref name="bytes"/>, waiting while the queue is full. False when the queue
    /// was completed, or stayed full for <paramref name="timeout"/> (the caller then drops the subscriber:
    /// part of the bytes may be in, so the stream is no longer whole).
    /// </summary>
    public bool TryAppend(ReadOnlySpan<byte> bytes, TimeSpan timeout)
    {
        long started = 0;
        lock (_sync)
        {
            while (!bytes.IsEmpty)
            {
                if (_completed)
                {
                    return false;
                }

                if (_open is null)
                {
                    _open = ArrayPool<byte>.Shared.Rent(_chunkSize);
                    _openLength = 0;
                }

                var room = _chunkSize - _openLength;
                if (room == 0)
                {
                    if (_full.Count < _maxQueued)
                    {
                        _full.Enqueue((_open, _openLength));
                        _open = null;
                        WakeWriter();
                        continue;
                    }

                    // Backpressure: wait for the writer to take a chunk.
                    if (started == 0)
                    {
                        started = Stopwatch.GetTimestamp();
                    }

                    var left = timeout - Stopwatch.GetElapsedTime(started);
                    if (left <= TimeSpan.Zero)
                    {
                        return false;
                    }

                    Monitor.Wait(_sync, left);
                    continue;
                }

                var n = Math.Min(room, bytes.Length);
                bytes[..n].CopyTo(_open.AsSpan(_openLength));
                _openLength += n;
                bytes = bytes[n..];
            }

            WakeWriter();
            return true;
        }
    }

    /// <summary>
    /// The next bytes to write (a pooled buffer to hand back with <see cref="Return"/>), or a null
    /// buffer once the queue is completed. Waits while there is nothing to write.
    /// </summary>
    public async ValueTask<(byte[]? Buffer, int Length)> TakeAsync()
    {
        while (true)
        {
            Task wait;
            lock (_sync)
            {
                if (_completed)
                {
                    return (null, 0);
                }

                if (_full.TryDequeue(out var chunk))
                {
                    Monitor.PulseAll(_sync);
                    return chunk;
                }

                if (_open is not null && _openLength > 0)
                {
                    var open = (_open, _openLength);
                    _open = null;
                    _openLength = 0;
                    return open;
                }

                _dataWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _dataWaiter.Task;
            }

            await wait;
        }
    }

    public static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    /// <summary>Drops what is queued; a waiting producer gets false and a waiting writer gets null.</summary>
    public void Complete()
    {
        lock (_sync)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            while (_full.TryDequeue(out var chunk))
            {
                Return(chunk.Buffer);
            }

            if (_open is not null)
            {
                Return(_open);
                _open = null;
                _openLength = 0;
            }

            Monitor.PulseAll(_sync);
            WakeWriter();
        }
    }

    private void WakeWriter()
    {
        if (_dataWaiter is { } waiter)
        {
            _dataWaiter = null;
            waiter.TrySetResult();
        }
    }
}
