using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.Daemon;

/// <summary>
/// The bridge's side of a daemon test: the real <see cref="DaemonClient"/> with a roster table, one
/// outbox, counters, a log and a fake clock.
/// </summary>
internal sealed class ClientRig : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private int _syncCallbacks;

    public ClientRig(DaemonEndpoint endpoint, IRosterOutbox? outbox = null, ReconnectOpts? reconnect = null)
    {
        Reconnect = reconnect ?? new ReconnectOpts();
        Outbox = outbox ?? new SinkOutbox();
        Client = new DaemonClient(endpoint, Reconnect, new RosterFeed(Table, [Outbox]), Counters, Log,
            () => Interlocked.Increment(ref _syncCallbacks), Clock);
    }

    public ReconnectOpts Reconnect { get; }

    public RosterTable Table { get; } = new();

    public IRosterOutbox Outbox { get; }

    public BridgeCounters Counters { get; } = new();

    public SharedLog Log { get; } = new();

    public WatchedClock Clock { get; } = new();

    public DaemonClient Client { get; }

    public int SyncCallbacks => Volatile.Read(ref _syncCallbacks);

    public Task Running { get; private set; } = Task.CompletedTask;

    /// <summary>The backoff waits the client started: every timer on its clock but the connect and handshake limits.</summary>
    public IReadOnlyList<TimeSpan> BackoffWaits =>
        Clock.Started.Where(due => due != DaemonClient.ConnectTimeout && due != DaemonReadLoop.HandshakeTimeout).ToList();

    public void Start() => Running = Client.RunAsync(_stop.Token);

    /// <summary>Waits until the condition holds; fails at once if the client stopped.</summary>
    public async Task UntilAsync(Func<bool> condition, string what)
    {
        await Eventually.UntilAsync(() => condition() || Running.IsCompleted, what, Describe);
        if (!condition())
        {
            Assert.Fail($"the client stopped before {what}: {Running.Exception?.InnerException?.ToString() ?? Running.Status.ToString()}");
        }
    }

    /// <summary>Waits until the client waits out its <paramref name="number"/>th backoff delay, then lets the fake clock pass it.</summary>
    public async Task PassBackoffAsync(int number)
    {
        await UntilAsync(() => BackoffWaits.Count >= number, $"the client waits out backoff delay {number}");
        Clock.Advance(BackoffWaits[number - 1]);
    }

    /// <summary>Cancels the client and waits (with a generous limit) until RunAsync has returned.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Running.WaitAsync(Eventually.Limit);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Running.WaitAsync(Eventually.Limit);
        }
        catch (Exception ex) when (ex is DaemonRefusedException or TimeoutException)
        {
            // The test asserted what it expected of it.
        }

        _stop.Dispose();
    }

    private string Describe() =>
        $"frames {Counters.Frames}, syncs {Counters.Syncs}, protocol errors {Counters.ProtocolErrors}, live {Client.IsLive}, timers [{string.Join(", ", Clock.Started.Select(due => due.TotalSeconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}]; log: {string.Join(" | ", Log.Lines.TakeLast(5))}";
}
