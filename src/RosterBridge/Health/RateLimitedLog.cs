using Microsoft.Extensions.Logging;

namespace RosterBridge.Health;

/// <summary>
/// Lets through at most a few warnings per window and then one line saying how many it held back,
/// so that a flood of bad input cannot flood the log.
/// </summary>
internal sealed class RateLimitedLog
{
    private readonly ILogger _logger;
    private readonly int _perWindow;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset _windowStart;
    private int _written;
    private long _suppressed;

    public RateLimitedLog(ILogger logger, int perWindow = 10, TimeSpan? window = null, TimeProvider? time = null)
    {
        _logger = logger;
        _perWindow = perWindow;
        _window = window ?? TimeSpan.FromSeconds(10);
        _time = time ?? TimeProvider.System;
        _windowStart = _time.GetUtcNow();
    }

    /// <summary>Lines held back since the start, for tests and health.</summary>
    public long Suppressed
    {
        get
        {
            lock (_gate)
            {
                return _suppressed;
            }
        }
    }

    /// <summary>Returns whether the message was written.</summary>
    public bool Warn(string message)
    {
        long heldBack = 0;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (now - _windowStart >= _window)
            {
                heldBack = _written > _perWindow ? _written - _perWindow : 0;
                _windowStart = now;
                _written = 0;
            }

            _written++;
            if (_written > _perWindow)
            {
                _suppressed++;
                return false;
            }
        }

        if (heldBack > 0)
        {
            _logger.LogWarning("{Count} more bad-input warnings were held back in the last window", heldBack);
        }

        _logger.LogWarning("{Message}", message);
        return true;
    }
}
