using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using RosterBridge.Health;
using RosterBridge.Outbox;

namespace RosterBridge.Hosting;

/// <summary>
/// The bridge's counts as <see cref="System.Diagnostics.Metrics"/> instruments on the meter
/// <c>RosterBridge</c>, and the OpenTelemetry exporter that serves them as Prometheus text on
/// <c>/metrics</c>. Every instrument is observable: it reads the counters the bridge keeps anyway
/// when scraped, so nothing is added to the per-event path. Names are contracts (README.md):
/// the exporter turns <c>rosterbridge.events</c> into <c>rosterbridge_events_total</c>, unit
/// <c>s</c> into <c>_seconds</c>.
/// </summary>
internal sealed class BridgeMetrics : IDisposable
{
    public const string MeterName = "RosterBridge";

    /// <summary>The <c>type</c> label of <c>rosterbridge_events_total</c>, by <see cref="EventKind"/>.</summary>
    public static readonly string[] EventTypes = ["roster", "welcome", "sync", "error", "memctx", "other"];

    private readonly Bridge _bridge;
    private readonly Meter _meter;

    public BridgeMetrics(Bridge bridge)
    {
        _bridge = bridge;
        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("rosterbridge.events", Events,
            description: "Events read from the daemon, by type (roster, welcome, sync, error, memctx, other); rejected ones included");
        _meter.CreateObservableCounter("rosterbridge.frames_rejected", Rejected,
            description: "Daemon events rejected and never published, by reason (bad_endpoint, bad_action, short_payload, stale), and frames that dropped the connection (protocol)");
        _meter.CreateObservableCounter("rosterbridge.publishes", Publishes,
            description: "Roster entries published per sink (mqtt, nats), by result: ok (sent and acknowledged), unchanged (the broker held it already), failed (not acknowledged: the connection is dropped), refused (NATS: out of date, read back)");
        _meter.CreateObservableCounter("rosterbridge.reconnects", Reconnects,
            description: "Connections made again after the first (daemon, mqtt, nats)");
        _meter.CreateObservableGauge("rosterbridge.connected", Connected,
            description: "1 while the connection is up: the daemon synced, a sink connected and read back; else 0");
        _meter.CreateObservableGauge("rosterbridge.sink_problem", Problems,
            description: "1 while a sink has a problem of that kind (auth, tls, denied, unreachable, lost; /readyz says it in words), else 0");
        _meter.CreateObservableGauge("rosterbridge.roster.slots_occupied", () => _bridge.Feed.OccupiedCount,
            description: "Endpoint slots occupied in the roster the bridge holds (0..64)");
        _meter.CreateObservableGauge("rosterbridge.outbox.pending", Pending,
            description: "Endpoints per sink whose newest state the broker has not acknowledged yet");
        _meter.CreateObservableGauge("rosterbridge.daemon.last_sync_timestamp", LastSync, unit: "s",
            description: "When the daemon last completed a replay (SYNC), in seconds since 1970; 0 before the first");
        Provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MeterName)
            .AddPrometheusExporter(prometheus =>
            {
                // A scrape reads the counters as they are now; no response cache, no OpenTelemetry
                // extras (target_info, scope labels): the series are the bridge's and nothing else.
                prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                prometheus.TargetInfoEnabled = false;
                prometheus.ScopeInfoEnabled = false;
            })
            .Build();
    }

    /// <summary>What <c>/metrics</c> serves from (<see cref="HealthServer"/>).</summary>
    public MeterProvider Provider { get; }

    public void Dispose()
    {
        Provider.Dispose();
        _meter.Dispose();
    }

    private IEnumerable<Measurement<long>> Events()
    {
        for (var kind = 0; kind < EventTypes.Length; kind++)
        {
            yield return new(_bridge.Counters.Events((EventKind)kind), new KeyValuePair<string, object?>("type", EventTypes[kind]));
        }
    }

    private IEnumerable<Measurement<long>> Rejected()
    {
        var counters = _bridge.Counters;
        yield return Reason(counters.BadEndpoint, "bad_endpoint");
        yield return Reason(counters.BadAction, "bad_action");
        yield return Reason(counters.BadLength, "short_payload");
        yield return Reason(counters.Stale, "stale");
        yield return Reason(counters.ProtocolErrors, "protocol");

        static Measurement<long> Reason(long value, string reason) => new(value, new KeyValuePair<string, object?>("reason", reason));
    }

    private IEnumerable<Measurement<long>> Publishes()
    {
        foreach (var sink in _bridge.Sinks)
        {
            yield return Result(sink.Counters.Sent, sink.Name, "ok");
            yield return Result(sink.Counters.Unchanged, sink.Name, "unchanged");
            yield return Result(sink.Counters.Failed, sink.Name, "failed");
            yield return Result(sink.Counters.Refused, sink.Name, "refused");
        }

        static Measurement<long> Result(long value, string sink, string result) =>
            new(value, new KeyValuePair<string, object?>("sink", sink), new KeyValuePair<string, object?>("result", result));
    }

    private IEnumerable<Measurement<long>> Reconnects()
    {
        yield return Connection(Math.Max(_bridge.Counters.DaemonConnections - 1, 0), "daemon");
        foreach (var sink in _bridge.Sinks)
        {
            yield return Connection(Math.Max(sink.Counters.Connects - 1, 0), sink.Name);
        }
    }

    private IEnumerable<Measurement<int>> Connected()
    {
        yield return new(_bridge.Daemon.IsLive ? 1 : 0, Label("daemon"));
        foreach (var sink in _bridge.Sinks)
        {
            yield return new(sink.IsConnected ? 1 : 0, Label(sink.Name));
        }
    }

    private IEnumerable<Measurement<int>> Problems()
    {
        foreach (var sink in _bridge.Sinks)
        {
            // Every kind, 0 or 1: an alert on "== 1" needs no absent() beside it.
            var current = sink.ProblemKind;
            foreach (var kind in SinkProblem.Kinds)
            {
                yield return new(kind == current ? 1 : 0, new KeyValuePair<string, object?>("sink", sink.Name), new KeyValuePair<string, object?>("kind", kind));
            }
        }
    }

    private IEnumerable<Measurement<int>> Pending()
    {
        foreach (var sink in _bridge.Sinks)
        {
            yield return new(sink.Outbox.PendingCount, new KeyValuePair<string, object?>("sink", sink.Name));
        }
    }

    private double LastSync() => _bridge.Counters.LastSync is { } time ? time.ToUnixTimeMilliseconds() / 1000.0 : 0;

    private static Measurement<long> Connection(long value, string connection) => new(value, Label(connection));

    private static KeyValuePair<string, object?> Label(string connection) => new("connection", connection);
}
