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
internal sealed class Bridge : IAsyncDisposable
{
    private readonly MqttSink? _mqtt;
    private readonly NatsSink? _nats;
    private readonly ILogger _log;

    public Bridge(BridgeOpts opts, ILoggerFactory logging)
    {
        Opts = opts;
        _log = logging.CreateLogger("rosterbridge");
        var runners = new List<SinkRunner>();
        if (opts.Mqtt is { } mqtt)
        {
            _mqtt = new MqttSink(mqtt, opts.Node, logging.CreateLogger("rosterbridge.mqtt"));
            runners.Add(new SinkRunner(_mqtt, new SinkOutbox(), mqtt.MaxInFlight, mqtt.PublishTimeout, opts.Reconnect, logging.CreateLogger("rosterbridge.mqtt")));
        }

        if (opts.Nats is { } nats)
        {
            _nats = new NatsSink(nats, opts.Node, logging.CreateLogger("rosterbridge.nats"));
            runners.Add(new SinkRunner(_nats, new SinkOutbox(), nats.MaxInFlight, nats.PublishTimeout, opts.Reconnect, logging.CreateLogger("rosterbridge.nats")));
        }

        Sinks = runners;
        Table = new RosterTable();
        var feed = new RosterFeed(Table, runners.Select(runner => runner.Outbox));
        Daemon = new DaemonClient(opts.Daemon, opts.Reconnect, feed, Counters, logging.CreateLogger("rosterbridge.daemon"));
    }

    public BridgeOpts Opts { get; }

    public BridgeCounters Counters { get; } = new();

    public RosterTable Table { get; }

    public DaemonClient Daemon { get; }

    public IReadOnlyList<SinkRunner> Sinks { get; }

    /// <summary>Synced with the daemon, and every sink connected with nothing pending.</summary>
    public bool IsCaughtUp => Daemon.IsLive && Sinks.All(sink => sink.IsConnected && sink.Outbox.IsCaughtUp);

    /// <summary>
    /// Runs until <paramref name="stop"/>; throws <see cref="DaemonRefusedException"/> or
    /// <see cref="SinkConfigException"/> when going on cannot help.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var tasks = new List<Task> { Daemon.RunAsync(failed.Token) };
        tasks.AddRange(Sinks.Select(sink => sink.RunAsync(failed.Token)));
        _log.LogInformation("rosterbridge node {Node}: daemon {Daemon}, mqtt {Mqtt}, nats {Nats}",
            Opts.Node, Opts.Daemon, Opts.Mqtt is null ? "off" : $"mqtt://{Opts.Mqtt.Url.Host}:{Opts.Mqtt.Url.Port}",
            Opts.Nats is null ? "off" : $"nats://{Opts.Nats.Url.Host}:{Opts.Nats.Url.Port}");

        // The first task to end either ended on stop or failed for good: either way, stop the rest.
        var first = await Task.WhenAny(tasks);
        await failed.CancelAsync();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch when (first.IsFaulted)
        {
            await first; // rethrows the failure that stopped the bridge, not a follow-on one
        }
    }

    /// <summary>Says <c>offline</c> on the brokers that have a status topic, within the given time.</summary>
    public async Task GoOfflineAsync(TimeSpan within)
    {
        if (_mqtt is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(within);
        try
        {
            await _mqtt.GoOfflineAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            _log.LogWarning("mqtt: could not say offline before stopping: {Error}", ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_mqtt is not null)
        {
            await _mqtt.DisposeAsync();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }
}
