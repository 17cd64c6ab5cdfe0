using System.Globalization;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>
/// Everything the campaign breaks: two brokers in containers, a simulated daemon on a Unix socket
/// (replaced by a new one at a restart), and <c>rosterbridge run</c> as its own process configured
/// by environment variables only, as a user runs it. Roster changes come from one seeded
/// <see cref="LifecycleGenerator"/>, and only from the campaign's own thread, so that the daemon's
/// roster is still when the campaign reads it.
/// </summary>
internal sealed class ChaosRig : IAsyncDisposable
{
    private static readonly TimeSpan SubscriberWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectTimeoutsWait = TimeSpan.FromSeconds(30);

    private readonly string _socketDir = Directory.CreateTempSubdirectory("rosterbridge-chaos-").FullName;
    private readonly LifecycleGenerator _generator;
    private readonly Action<string> _log;
    private readonly int _healthPort = FreeTcpPort.Find();

    public ChaosRig(PersistentMosquittoContainer mosquitto, NatsContainer nats, int seed, Action<string> log)
    {
        Mosquitto = mosquitto;
        Nats = nats;
        _log = log;
        _generator = new LifecycleGenerator(seed, targetVms: 40);
        Node = string.Create(CultureInfo.InvariantCulture, $"chaos-{Guid.NewGuid():N}")[..16];
        Daemon = NewDaemon();
    }

    public string Node { get; }

    public PersistentMosquittoContainer Mosquitto { get; }

    public NatsContainer Nats { get; }

    public SimulatedDaemon Daemon { get; private set; }

    public BridgeProcess? Bridge { get; private set; }

    /// <summary>The output of the bridge before the current one (killed by the campaign), for a failure report.</summary>
    public string? PreviousBridgeOutput { get; private set; }

    /// <summary>Events the daemon emitted: every ATTACH, UPDATE, DETACH and MEMCTX of the campaign.</summary>
    public long Events { get; private set; }

    public int BridgeStarts { get; private set; }

    public int DaemonStarts { get; private set; } = 1;

    /// <summary>The running bridge's readiness endpoint, for a failure report.</summary>
    public Uri Readiness => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{_healthPort}/readyz"));

    public async Task StartAsync()
    {
        foreach (var change in _generator.InitialRoster(24))
        {
            Apply(change);
        }

        await Daemon.StartAsync();
        await StartBridgeAsync();
    }

    /// <summary>Starts <c>rosterbridge run</c> and waits until it has subscribed to the daemon (bounded; a bridge that does not is caught by the convergence check).</summary>
    public async Task StartBridgeAsync()
    {
        Bridge = BridgeProcess.Start(["run"], new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = Node,
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = Daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = $"mqtt://{Mosquitto.Host}:{Mosquitto.Port}",
            ["ROSTERBRIDGE_NATS__URL"] = $"nats://{Nats.Host}:{Nats.Port}",
            // Short limits, so that a fault is noticed and recovered from in test time.
            ["ROSTERBRIDGE_RECONNECT__INITIALDELAYMS"] = "50",
            ["ROSTERBRIDGE_RECONNECT__MAXDELAYMS"] = "1000",
            ["ROSTERBRIDGE_MQTT__PUBLISHTIMEOUTSECONDS"] = "2",
            ["ROSTERBRIDGE_MQTT__KEEPALIVESECONDS"] = "2",
            ["ROSTERBRIDGE_NATS__PUBLISHTIMEOUTSECONDS"] = "2",
            ["ROSTERBRIDGE_HEALTH__PORT"] = _healthPort.ToString(CultureInfo.InvariantCulture),
            ["ROSTERBRIDGE_LOGGING__LEVEL"] = "Debug",
        });
        BridgeStarts++;
        await WaitForSubscriberAsync();
    }

    /// <summary>SIGKILL: no flush, no offline, nothing. Returns once the process is gone and the daemon has noticed.</summary>
    public async Task KillBridgeAsync()
    {
        if (Bridge is null)
        {
            return;
        }

        if (!Bridge.HasExited)
        {
            Bridge.Kill();
        }

        await Bridge.WaitForExitAsync(TimeSpan.FromSeconds(20));
        PreviousBridgeOutput = Bridge.Output;
        await Bridge.DisposeAsync();
        Bridge = null;
        await Retry.Until(() => Daemon.ConnectedSubscribers == 0, SubscriberWait, "the daemon noticed the killed bridge's connection close");
    }

    /// <summary>Realistic lifecycle changes: boots, stops, migrations, renames, attaches and detaches, some MEMCTX noise.</summary>
    public void Change(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Apply(_generator.Next());
        }
    }

    /// <summary>Random ATTACH / UPDATE / DETACH over all 64 slots, as fast as the daemon takes them.</summary>
    public void Burst(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Apply(_generator.NextChurn());
        }
    }

    /// <summary>One MEMCTX event: more data on the daemon's stream that changes no roster entry.</summary>
    public void Nudge()
    {
        Daemon.EmitMemCtx(0);
        Events++;
    }

    /// <summary>
    /// Holds a fault for <paramref name="duration"/> (the fault's length is what is being tested,
    /// not a wait for a condition), making <paramref name="changes"/> roster changes spread over it.
    /// </summary>
    public async Task TrickleAsync(int changes, TimeSpan duration)
    {
        var gap = duration / (changes + 1);
        for (var i = 0; i < changes; i++)
        {
            await Task.Delay(gap);
            Change(1);
        }

        await Task.Delay(gap);
    }

    /// <summary>
    /// A daemon restart with a changed roster and a new session id: in place (every connection
    /// dropped, seq from 1), or the daemon replaced by a new one on the same socket after
    /// <paramref name="down"/> without any.
    /// </summary>
    public async Task RestartDaemonAsync(bool inPlace, TimeSpan down, int rosterSeed)
    {
        var roster = ChangedRoster.From(Daemon.Snapshot(), rosterSeed);
        if (inPlace)
        {
            await Daemon.RestartAsync(roster: roster);
        }
        else
        {
            await Daemon.DisposeAsync(); // the socket goes with it
            await Task.Delay(down);
            var next = NewDaemon();
            for (var endpoint = 0; endpoint < roster.Length; endpoint++)
            {
                if (roster[endpoint] is { } slot)
                {
                    next.Attach(endpoint, slot.Vmid, slot.Name, slot.State);
                }
            }

            await next.StartAsync();
            Daemon = next;
        }

        DaemonStarts++;
        _generator.Resync(Daemon.Snapshot());
        await WaitForSubscriberAsync();
    }

    /// <summary>The daemon drops the bridge (same session); returns once the bridge is subscribed again.</summary>
    public async Task DropDaemonConnectionsAsync()
    {
        await Task.WhenAll(Daemon.DisconnectAll());
        await WaitForSubscriberAsync();
    }

    /// <summary>
    /// Waits until the bridge has logged <paramref name="count"/> failed connects to the first of
    /// <paramref name="brokers"/> (bounded: a bridge that logs otherwise only makes the fault a plain
    /// pause). Polled every 10 ms, so that what follows lands within the bridge's backoff.
    /// </summary>
    public async Task WaitForConnectTimeoutsAsync(BrokerSet brokers, int count)
    {
        var port = Each(brokers).First().Port.ToString(CultureInfo.InvariantCulture);
        int Failed() => Bridge?.Output.Split('\n').Count(line => line.Contains("cannot connect", StringComparison.Ordinal) && line.Contains($":{port}", StringComparison.Ordinal)) ?? 0;
        using var bound = new CancellationTokenSource(ConnectTimeoutsWait);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (Failed() < count)
            {
                await poll.WaitForNextTickAsync(bound.Token);
            }
        }
        catch (OperationCanceledException)
        {
            _log($"the bridge did not log {count} failed connects to port {port} within {ConnectTimeoutsWait.TotalSeconds:F0} s; thawing anyway");
        }
    }

    public async Task KillBrokersAsync(BrokerSet brokers)
    {
        await Task.WhenAll(Each(brokers).Select(broker => broker.KillAsync()));
    }

    /// <summary>Starts killed brokers again, with their store, or as new empty ones.</summary>
    public async Task BringBackBrokersAsync(BrokerSet brokers, bool wipe)
    {
        await Task.WhenAll(Each(brokers).Select(broker => wipe ? broker.RecreateAsync() : broker.StartAsync()));
    }

    public async Task PauseBrokersAsync(BrokerSet brokers) => await Task.WhenAll(Each(brokers).Select(broker => broker.PauseAsync()));

    public async Task UnpauseBrokersAsync(BrokerSet brokers) => await Task.WhenAll(Each(brokers).Select(broker => broker.UnpauseAsync()));

    public async ValueTask DisposeAsync()
    {
        if (Bridge is not null)
        {
            await Bridge.DisposeAsync();
        }

        await Daemon.DisposeAsync();
        Directory.Delete(_socketDir, recursive: true);
    }

    private IEnumerable<BrokerContainer> Each(BrokerSet brokers)
    {
        if (brokers.HasFlag(BrokerSet.Mqtt))
        {
            yield return Mosquitto;
        }

        if (brokers.HasFlag(BrokerSet.Nats))
        {
            yield return Nats;
        }
    }

    private SimulatedDaemon NewDaemon() =>
        new(new SimulatorOpts { Listen = new("unix", Path.Combine(_socketDir, "vmsig.sock"), 0), Quiet = true }, _log);

    private void Apply(in SimChange change)
    {
        if (Daemon.TryApply(change) != 0)
        {
            Events++;
        }
        else
        {
            // Only this class changes the roster, so this does not happen; if it did, the
            // generator would go on proposing changes that do not fit.
            _generator.Resync(Daemon.Snapshot());
        }
    }

    private async Task WaitForSubscriberAsync()
    {
        using var wait = new CancellationTokenSource(SubscriberWait);
        try
        {
            await Daemon.WaitForSubscribersAsync(1, wait.Token);
        }
        catch (OperationCanceledException)
        {
            _log($"no bridge subscribed to the daemon within {SubscriberWait.TotalSeconds:F0} s");
        }
    }
}
