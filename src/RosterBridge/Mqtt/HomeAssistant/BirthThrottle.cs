namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>
/// When discovery is published again for Home Assistant's birth messages: a request is kept until
/// it is taken (never lost), any number of requests meanwhile are one, and takes are at least
/// <paramref name="interval"/> apart. A Home Assistant restarting in a loop costs at most one
/// republish per interval.
/// </summary>
internal sealed class BirthThrottle(TimeSpan interval, TimeProvider time)
{
    private readonly Lock _gate = new();
    private bool _requested;
    private DateTimeOffset? _lastTaken;

    /// <summary>Safe from any thread.</summary>
    public void Request()
    {
        lock (_gate)
        {
            _requested = true;
        }
    }

    /// <summary>How long until a requested republish is due (zero: now); null when none is requested.</summary>
    public TimeSpan? UntilDue
    {
        get
        {
            lock (_gate)
            {
                if (!_requested)
                {
                    return null;
                }

                var wait = _lastTaken is { } last ? last + interval - time.GetUtcNow() : TimeSpan.Zero;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }
    }

    /// <summary>Takes the request when one is due now.</summary>
    public bool TryTake()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (!_requested || (_lastTaken is { } last && now - last < interval))
            {
                return false;
            }

            _requested = false;
            _lastTaken = now;
            return true;
        }
    }

    /// <summary>A taken republish could not be done (the broker was read back meanwhile): it is due again at once.</summary>
    public void Untake()
    {
        lock (_gate)
        {
            _requested = true;
            _lastTaken = null;
        }
    }
}
