using System.Threading.Channels;

namespace RosterBridge.Outbox.Internal;

/// <summary>
/// When a sink reads its broker back. A sweep request is data that the runner reads, never a cancel
/// from another thread: one pending request is enough, it waits across sessions, and the next
/// read-back that starts answers it. Read-backs are at least <paramref name="interval"/> apart.
/// </summary>
internal sealed class ReadBackSchedule(TimeSpan interval, TimeProvider time)
{
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private long _lastStarted = time.GetTimestamp() - (long)(interval.TotalSeconds * time.TimestampFrequency);

    /// <summary>How long until the next read-back may start.</summary>
    public TimeSpan UntilAllowed
    {
        get
        {
            var wait = interval - time.GetElapsedTime(Volatile.Read(ref _lastStarted));
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
    }

    /// <summary>Safe from any thread at any time.</summary>
    public void RequestSweep() => _requests.Writer.TryWrite(true);

    /// <summary>A read-back starts: every request made before now is answered by it.</summary>
    public void Starting()
    {
        while (_requests.Reader.TryRead(out _))
        {
        }

        Volatile.Write(ref _lastStarted, time.GetTimestamp());
    }

    /// <summary>Waits for a sweep request, then until a read-back may start.</summary>
    public async Task WaitForSweepAsync(CancellationToken cancellationToken)
    {
        await _requests.Reader.ReadAsync(cancellationToken);
        await Task.Delay(UntilAllowed, time, cancellationToken);
    }
}
