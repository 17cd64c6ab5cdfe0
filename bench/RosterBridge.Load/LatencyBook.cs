using System.Diagnostics;

namespace RosterBridge.Load;

/// <summary>
/// Latency samples of the trickle: the bridge's path (event handed to the daemon → live subscriber,
/// matched by the payload's seq) and each broker's own (the tool's publish → the same subscriber,
/// matched by a probe id), all on one clock, <see cref="Stopwatch"/>.
/// </summary>
internal sealed class LatencyBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, long> _events = [];
    private readonly Dictionary<long, long> _probes = [];
    private readonly Dictionary<string, List<double>> _samples = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(long Sent, double Ms)>> _timed = new(StringComparer.Ordinal);
    private long _started;
    private bool _active;

    public static string BridgeKey(string broker) => broker + "/bridge";

    public static string ProbeKey(string broker) => broker + "/own";

    public void Start()
    {
        lock (_gate)
        {
            _events.Clear();
            _probes.Clear();
            _samples.Clear();
            _timed.Clear();
            _started = Stopwatch.GetTimestamp();
            _active = true;
        }
    }

    public void Stop()
    {
        lock (_gate)
        {
            _active = false;
        }
    }

    /// <summary>
    /// Runs <paramref name="emit"/> (which hands an event to the daemon and returns its seq, or 0
    /// for an event no subscriber will see) and notes the time it was handed over. Under the lock:
    /// a subscriber cannot look the seq up before it is noted.
    /// </summary>
    public void Event(Func<ulong> emit)
    {
        lock (_gate)
        {
            var at = Stopwatch.GetTimestamp();
            var seq = emit();
            if (_active && seq != 0)
            {
                _events[seq] = at;
            }
        }
    }

    public int EventsNoted
    {
        get
        {
            lock (_gate)
            {
                return _events.Count;
            }
        }
    }

    public void ProbeSent(long id, long at)
    {
        lock (_gate)
        {
            if (_active)
            {
                _probes[id] = at;
            }
        }
    }

    public int ProbesNoted
    {
        get
        {
            lock (_gate)
            {
                return _probes.Count;
            }
        }
    }

    /// <summary>A live subscriber of <paramref name="broker"/> received the roster message of <paramref name="seq"/>.</summary>
    public void EventReceived(string broker, ulong seq, long at)
    {
        lock (_gate)
        {
            if (_active && _events.TryGetValue(seq, out var sent))
            {
                Add(BridgeKey(broker), sent, at);
            }
        }
    }

    public void ProbeReceived(string broker, long id, long at)
    {
        lock (_gate)
        {
            if (_active && _probes.TryGetValue(id, out var sent))
            {
                Add(ProbeKey(broker), sent, at);
            }
        }
    }

    public int Count(string key)
    {
        lock (_gate)
        {
            return _samples.TryGetValue(key, out var list) ? list.Count : 0;
        }
    }

    public double[] Samples(string key)
    {
        lock (_gate)
        {
            return _samples.TryGetValue(key, out var list) ? [.. list] : [];
        }
    }

    /// <summary>The slowest samples, each with when (seconds into the trickle) it was sent: do the tails of two paths coincide?</summary>
    public string Slowest(string key, int count)
    {
        lock (_gate)
        {
            if (!_timed.TryGetValue(key, out var list))
            {
                return "none";
            }

            return string.Join(", ", list.OrderByDescending(sample => sample.Ms).Take(count)
                .Select(sample => FormattableString.Invariant($"{sample.Ms:F1} ms at {Stopwatch.GetElapsedTime(_started, sample.Sent).TotalSeconds:F2} s")));
        }
    }

    private void Add(string key, long sent, long at)
    {
        if (!_samples.TryGetValue(key, out var list))
        {
            list = [];
            _samples[key] = list;
            _timed[key] = [];
        }

        var ms = Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds;
        list.Add(ms);
        _timed[key].Add((sent, ms));
    }
}
