namespace RosterBridge.Reconnect;

/// <summary>
/// Exponential backoff with full jitter: each failure doubles the ceiling up to a maximum, and the
/// delay is drawn between half the ceiling and the ceiling, so that many bridges restarted together
/// do not reconnect in step.
/// </summary>
internal sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private int _failures;

    public Backoff(TimeSpan initial, TimeSpan max, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        _initial = initial;
        _max = max;
        _random = random ?? Random.Shared;
    }

    public int Failures => _failures;

    /// <summary>The delay before the next attempt, after one more failure.</summary>
    public TimeSpan NextDelay()
    {
        var ceiling = Ceiling(_failures);
        if (_failures < 62)
        {
            _failures++;
        }

        var half = ceiling.Ticks / 2;
        return TimeSpan.FromTicks(half + (long)((ceiling.Ticks - half) * _random.NextDouble()));
    }

    /// <summary>A success: the next failure starts again from the initial delay.</summary>
    public void Reset() => _failures = 0;

    /// <summary>The largest delay after <paramref name="failures"/> failures.</summary>
    public TimeSpan Ceiling(int failures)
    {
        var ticks = _initial.Ticks;
        for (var i = 0; i < failures && ticks < _max.Ticks; i++)
        {
            ticks = ticks > _max.Ticks / 2 ? _max.Ticks : ticks * 2;
        }

        return TimeSpan.FromTicks(Math.Min(ticks, _max.Ticks));
    }
}
