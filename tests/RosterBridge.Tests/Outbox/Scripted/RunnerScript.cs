using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Health;
using RosterBridge.Tests.Roster;

namespace RosterBridge.Tests.Outbox.Scripted;

/// <summary>
/// A <see cref="SinkRunner"/> on a <see cref="ScriptedSink"/> and a fake clock, and the steps tests
/// take with it. Every wait is for an event of the runner's (a call it makes), bounded in real time
/// so that a runner that never makes it fails the test instead of hanging it.
/// </summary>
internal sealed class RunnerScript : IAsyncDisposable
{
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RealTimeBound = TimeSpan.FromSeconds(10);

    private readonly CancellationTokenSource _stop = new();
    private Task? _running;

    public RunnerScript(int maxInFlight = 2, bool honourTokens = true)
    {
        Sink.HonourTokens = honourTokens;
        Runner = new SinkRunner(Sink, Outbox, maxInFlight, CallTimeout,
            new ReconnectOpts { InitialDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(4) }, Log, Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    public ScriptedSink Sink { get; } = new();

    public SinkOutbox Outbox { get; } = new();

    public ListLogger Log { get; } = new();

    public SinkRunner Runner { get; }

    public Task Running => _running ?? throw new InvalidOperationException("not started");

    public static SlotState State(uint vmid) => new(Datums.Attach(vmid, 3), RosterAction.Attach, vmid, vmid);

    public void Start() => _running = Runner.RunAsync(_stop.Token);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Running.WaitAsync(RealTimeBound);
    }

    /// <summary>Waits for the next connect call (through any backoff) and answers it with a new session.</summary>
    public async Task<ScriptedSession> ConnectAsync()
    {
        var call = await NextAsync(Sink.Connects, advance: TimeSpan.FromMilliseconds(250));
        var session = Sink.NewSession();
        call.Succeed(session);
        return session;
    }

    /// <summary>Connects and completes the first read-back with an empty broker.</summary>
    public async Task<ScriptedSession> ConnectAndReadBackAsync()
    {
        var session = await ConnectAsync();
        (await NextAsync(session.ReadBacks)).Succeed(true);

        // Before the test moves the clock: the runner must be past the read-back's time limit.
        await UntilAsync(() => Runner.IsConnected);
        return session;
    }

    /// <summary>The next item, advancing the fake clock meanwhile when <paramref name="advance"/> is given (for timers the runner waits on).</summary>
    public async Task<T> NextAsync<T>(Channel<T> channel, TimeSpan? advance = null, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(channel))] string? what = null)
    {
        T? item = default;
        await UntilAsync(() => channel.Reader.TryRead(out item), advance, what);
        return item!;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, advancing the fake clock meanwhile when <paramref name="advance"/> is given.</summary>
    public async Task UntilAsync(Func<bool> condition, TimeSpan? advance = null, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string? what = null)
    {
        var deadline = DateTime.UtcNow + RealTimeBound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the runner never got to: {what}; its log:\n{string.Join("\n", Log.Lines.Select(line => $"{line.Level}: {line.Message}"))}");
            }

            if (advance is { } step)
            {
                Time.Advance(step);
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            await _running.WaitAsync(RealTimeBound).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        _stop.Dispose();
    }
}
