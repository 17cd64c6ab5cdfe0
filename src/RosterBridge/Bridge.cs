using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Health;
using RosterBridge.Mqtt;
using RosterBridge.Mqtt.HomeAssistant;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Roster;

namespace RosterBridge;

/// <summary>
/// The whole bridge, wired in the direction the data flows: daemon client → roster table →
/// one outbox per sink → MQTT / NATS. It only composes: hosted services run its parts
/// (Hosting/BridgeServices.cs; <c>RunAsync</c> runs them in a host of its own).
/// </summary>
internal sealed class Bridge
{
    private readonly ILogger _log;

    public Bridge(BridgeOpts opts, ILoggerFactory logging)
    {
        Opts = opts;
        Logging = logging;
        _log = logging.CreateLogger("rosterbridge");
        var runners = new List<SinkRunner>();
        var perEvent = opts.OutboxMode == OutboxMode.PerEvent;
        if (opts.Mqtt is { } mqtt)
        {
            var sink = new MqttSink(mqtt, opts.Node, logging.CreateLogger("rosterbridge.mqtt"));
            runners.Add(new SinkRunner(sink, perEvent ? new PerEventOutbox() : new SinkOutbox(), perEvent ? 1 : mqtt.MaxInFlight,
                mqtt.PublishTimeout, opts.Reconnect, logging.CreateLogger("rosterbridge.mqtt")));
            HomeAssistant = sink.HomeAssistant;
        }

        if (opts.Nats is { } nats)
        {
            runners.Add(new SinkRunner(new NatsSink(nats, opts.Node, logging.CreateLogger("rosterbridge.nats")), perEvent ? new PerEventOutbox() : new SinkOutbox(), perEvent ? 1 : nats.MaxInFlight,
                nats.PublishTimeout, opts.Reconnect, logging.CreateLogger("rosterbridge.nats")));
        }

        if (perEvent)
        {
            _log.LogWarning("Outbox:Mode is per-event: every event is published, one at a time (a baseline for measurements, not for use)");
        }

        Sinks = runners;
        Table = new RosterTable();
        // Discovery is fed beside the outboxes: it needs the whole roster (a VM that moves is one entity).
        Feed = new RosterFeed(Table, runners.Select(runner => (IRosterSubscriber)runner.Outbox).Concat(HomeAssistant is null ? [] : [HomeAssistant]));
        // After each SYNC the brokers are read back: they may hold what the daemon no longer has.
        Daemon = new DaemonClient(opts.Daemon, opts.Reconnect, Feed, Counters, logging.CreateLogger("rosterbridge.daemon"),
            onSynced: () => runners.ForEach(runner => runner.RequestSweep()));
    }

    public BridgeOpts Opts { get; }

    /// <summary>Where the bridge's parts log.</summary>
    public ILoggerFactory Logging { get; }

    public BridgeCounters Counters { get; } = new();

    public RosterTable Table { get; }

    /// <summary>What the daemon's events are applied through (its counts are readable from any thread).</summary>
    public RosterFeed Feed { get; }

    public DaemonClient Daemon { get; }

    public IReadOnlyList<SinkRunner> Sinks { get; }

    /// <summary>Home Assistant discovery on the MQTT sink; null when off.</summary>
    public HomeAssistantDiscovery? HomeAssistant { get; }

    /// <summary>Synced with the daemon, and every sink connected with nothing pending.</summary>
    public bool IsCaughtUp => Readiness().IsReady;

    public Readiness Readiness() => new(
        Daemon.IsLive,
        Sinks.Select(sink => new SinkReadiness(sink.Name, sink.IsConnected, sink.Outbox.PendingCount, sink.Counters.Published, sink.Counters.FailedPublishes, sink.Counters.Sent, sink.Counters.Sessions, sink.Problem, sink.ProblemKind)).ToList(),
        Counters);

    /// <summary>How long a stopping bridge waits for its sinks to publish what is pending.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a stopping bridge may take to say offline on each broker and drop its connection.</summary>
    public static readonly TimeSpan OfflineTimeout = SinkRunner.OfflineTimeout + SinkRunner.DropTimeout;

    /// <summary>The sinks a bridge can have, by <see cref="SinkRunner.Name"/>: one hosted service each.</summary>
    public static IReadOnlyList<string> SinkNames { get; } = ["mqtt", "nats"];

    /// <summary>The runner of the named sink; null when that sink is off.</summary>
    public SinkRunner? Sink(string name) => Sinks.FirstOrDefault(sink => sink.Name == name);

    /// <summary>One line saying what this bridge connects to.</summary>
    public void LogStarting() =>
        _log.LogInformation("rosterbridge node {Node}: daemon {Daemon}, mqtt {Mqtt}, nats {Nats}",
            Opts.Node, Opts.Daemon, Opts.Mqtt is null ? "off" : Opts.Mqtt.Url.ToString("mqtt"),
            Opts.Nats is null ? "off" : Opts.Nats.ServerList);

    /// <summary>
    /// Gives the sinks up to <paramref name="within"/> to publish what is pending (after the daemon
    /// is no longer read), and says which of them stop with endpoints not acknowledged.
    /// </summary>
    public async Task FlushAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        try
        {
            await Task.WhenAll(Sinks.Select(sink => sink.FlushAsync(deadline.Token)));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Out of time: what is left is published again at the next start.
        }

        foreach (var sink in Sinks.Where(sink => sink.Outbox.PendingCount > 0))
        {
            _log.LogWarning("{Sink}: stopping with {Pending} endpoints not acknowledged; they are published again at the next start",
                sink.Name, sink.Outbox.PendingCount);
        }
    }
}
