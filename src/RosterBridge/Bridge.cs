using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Health;
using RosterBridge.Mqtt;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Roster;

namespace RosterBridge;

/// <summary>
/// The whole bridge, wired in the direction the data flows: daemon client → roster table →
/// one outbox per sink → MQTT / NATS. Runs until cancelled or until something fatal happens.
/// </summary>
internal sealed class Bridge
{
    private readonly ILogger _log;

    public Bridge(BridgeOpts opts, ILoggerFactory logging)
    {
        Opts = opts;
        _log = logging.CreateLogger("rosterbridge");
        var runners = new List<SinkRunner>();
        var perEvent = opts.OutboxMode == OutboxMode.PerEvent;
        if (opts.Mqtt is { } mqtt)
        {
            runners.Add(new SinkRunner(new MqttSink(mqtt, opts.Node, logging.CreateLogger("rosterbridge.mqtt")), perEvent ? new PerEventOutbox() : new SinkOutbox(), perEvent ? 1 : mqtt.MaxInFlight,
                mqtt.PublishTimeout, opts.Reconnect, logging.CreateLogger("rosterbridge.mqtt")));
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
        var feed = new RosterFeed(Table, runners.Select(runner => runner.Outbox));
        // After each SYNC the brokers are read back: they may hold what the daemon no longer has.
        Daemon = new DaemonClient(opts.Daemon, opts.Reconnect, feed, Counters, logging.CreateLogger("rosterbridge.daemon"),
            onSynced: () => runners.ForEach(runner => runner.RequestSweep()));
    }

    public BridgeOpts Opts { get; }

    public BridgeCounters Counters { get; } = new();

    public RosterTable Table { get; }

    public DaemonClient Daemon { get; }

    public IReadOnlyList<SinkRunner> Sinks { get; }

    /// <summary>Synced with the daemon, and every sink connected with nothing pending.</summary>
    public bool IsCaughtUp => Readiness().IsReady;

    public Readiness Readiness() => new(
        Daemon.IsLive,
        Sinks.Select(sink => new SinkReadiness(sink.Name, sink.IsConnected, sink.Outbox.PendingCount, sink.Published, sink.FailedPublishes, sink.Sent, sink.Sessions)).ToList(),
        Counters);

    /// <summary>How long a stopping bridge waits for its sinks to publish what is pending.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs until <paramref name="stop"/>, then stops reading the daemon, gives the sinks up to
    /// <see cref="FlushTimeout"/> to publish what is pending, and each says offline. Throws <see cref="DaemonRefusedException"/>
    /// or <see cref="SinkConfigException"/> when going on cannot help.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var daemonStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var sinksStop = new CancellationTokenSource();
        var daemon = Daemon.RunAsync(daemonStop.Token);
        var tasks = Sinks.Select(sink => sink.RunAsync(sinksStop.Token)).Prepend(daemon).ToList();
        _log.LogInformation("rosterbridge node {Node}: daemon {Daemon}, mqtt {Mqtt}, nats {Nats}",
            Opts.Node, Opts.Daemon, Opts.Mqtt is null ? "off" : $"mqtt://{Opts.Mqtt.Url.Host}:{Opts.Mqtt.Url.Port}",
            Opts.Nats is null ? "off" : $"nats://{Opts.Nats.Url.Host}:{Opts.Nats.Url.Port}");

        // The daemon reader ends on stop or on a refusal; a sink ends only on a broker set up wrong.
        var first = await Task.WhenAny(tasks);
        await daemonStop.CancelAsync();
        if (first == daemon && !daemon.IsFaulted)
        {
            await FlushAsync();
        }

        await sinksStop.CancelAsync();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch when (first.IsFaulted)
        {
            await first; // rethrows the failure that stopped the bridge, not a follow-on one
        }
    }

    private async Task FlushAsync()
    {
        using var deadline = new CancellationTokenSource(FlushTimeout);
        try
        {
            await Task.WhenAll(Sinks.Select(sink => sink.FlushAsync(deadline.Token)));
        }
        catch (OperationCanceledException)
        {
            // what is still pending is said below
        }

        foreach (var sink in Sinks.Where(sink => sink.Outbox.PendingCount > 0))
        {
            _log.LogWarning("{Sink}: stopping with {Pending} endpoints not acknowledged; they are published again at the next start",
                sink.Name, sink.Outbox.PendingCount);
        }
    }
}
