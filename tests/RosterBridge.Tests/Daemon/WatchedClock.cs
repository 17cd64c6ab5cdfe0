using Microsoft.Extensions.Time.Testing;

namespace RosterBridge.Tests.Daemon;

/// <summary>
/// A fake clock that also records the due time of every timer started on it, so that a test
/// advances it only once the code under test is waiting on it (never ahead of the wait).
/// </summary>
internal sealed class WatchedClock : FakeTimeProvider
{
    private readonly List<TimeSpan> _started = [];

    public WatchedClock()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>The due times of the timers started so far, oldest first.</summary>
    public IReadOnlyList<TimeSpan> Started
    {
        get
        {
            lock (_started)
            {
                return [.. _started];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        lock (_started)
        {
            _started.Add(dueTime); // after the timer is registered: advancing now is sure to reach it
        }

        return timer;
    }
}
