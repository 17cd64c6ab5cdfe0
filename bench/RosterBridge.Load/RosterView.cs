using System.Diagnostics;
using System.Text;

namespace RosterBridge.Load;

/// <summary>
/// What one live subscriber holds (the last message per endpoint), compared with an expected roster.
/// Remembers when it last became equal to it, so that a convergence time is the moment the last
/// difference went away, whatever arrives afterwards that is equal too.
/// </summary>
internal sealed class RosterView
{
    private readonly Lock _gate = new();
    private readonly RosterEntry[] _held = new RosterEntry[Wire.Endpoints];
    private readonly TaskCompletionSource<long> _firstMessage = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RosterEntry[]? _expected;
    private int _differences;
    private long _lastMatch;
    private long _messages;
    private TaskCompletionSource _matching = NewSignal();

    public RosterView(string broker) => Broker = broker;

    public string Broker { get; }

    /// <summary>Roster messages received (not barriers, not probes).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Timestamp of the first roster message.</summary>
    public Task<long> FirstMessage => _firstMessage.Task;

    /// <summary>Timestamp of the moment the view last became equal to the expected roster.</summary>
    public long LastMatch
    {
        get
        {
            lock (_gate)
            {
                return _lastMatch;
            }
        }
    }

    public bool IsMatching
    {
        get
        {
            lock (_gate)
            {
                return _expected is not null && _differences == 0;
            }
        }
    }

    public void Apply(int endpoint, in RosterEntry entry, long timestamp)
    {
        lock (_gate)
        {
            _messages++;
            if (_messages == 1)
            {
                _firstMessage.TrySetResult(timestamp);
            }

            if (_expected is null)
            {
                _held[endpoint] = entry;
                return;
            }

            var before = _held[endpoint].Satisfies(_expected[endpoint]);
            _held[endpoint] = entry;
            var after = entry.Satisfies(_expected[endpoint]);
            if (before && !after)
            {
                if (_differences++ == 0)
                {
                    _matching = NewSignal();
                }
            }
            else if (!before && after && --_differences == 0)
            {
                _lastMatch = timestamp;
                _matching.TrySetResult();
            }
        }
    }

    /// <summary>From now on, compare with <paramref name="expected"/> (null: compare with nothing).</summary>
    public void Expect(RosterEntry[]? expected)
    {
        lock (_gate)
        {
            _expected = expected;
            _differences = 0;
            if (expected is null)
            {
                _matching = NewSignal();
                return;
            }

            for (var i = 0; i < _held.Length; i++)
            {
                if (!_held[i].Satisfies(expected[i]))
                {
                    _differences++;
                }
            }

            _matching = NewSignal();
            if (_differences == 0)
            {
                _lastMatch = Stopwatch.GetTimestamp(); // equal already: from the moment it was asked
                _matching.TrySetResult();
            }
        }
    }

    /// <summary>Completes when the view equals the expected roster (at once when it does now).</summary>
    public Task WaitMatchingAsync()
    {
        lock (_gate)
        {
            return _matching.Task;
        }
    }

    /// <summary>The endpoints that differ, for an error message.</summary>
    public string Differences(int max = 8)
    {
        var text = new StringBuilder();
        lock (_gate)
        {
            if (_expected is null)
            {
                return "nothing expected";
            }

            var shown = 0;
            for (var i = 0; i < _held.Length && shown < max; i++)
            {
                if (!_held[i].Satisfies(_expected[i]))
                {
                    text.Append(FormattableString.Invariant($"\n    {Broker} endpoint {i}: holds {_held[i]}, expected {_expected[i]}"));
                    shown++;
                }
            }
        }

        return text.ToString();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
