using System.Text.Json;
using RosterBridge.Config;
using RosterBridge.Frames;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Roster;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Observability;

/// <summary>
/// <c>/metrics</c> of a running bridge (simulated daemon, real mosquitto and nats-server): the names
/// of issue 8 exactly as a scrape shows them, values that match what happened, an exposition
/// <c>promtool</c> accepts, and a real Prometheus server scraping it.
/// </summary>
public sealed class MetricsTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    /// <summary>The names samples carry: issue 8's, issue 9's per-sink problem, and the connection gauge.</summary>
    private static readonly string[] Names =
    [
        "rosterbridge_events_total", "rosterbridge_frames_rejected_total", "rosterbridge_publishes_total",
        "rosterbridge_reconnects_total", "rosterbridge_roster_slots_occupied", "rosterbridge_outbox_pending",
        "rosterbridge_daemon_last_sync_timestamp_seconds", "rosterbridge_sink_problem", "rosterbridge_connected",
    ];

    private readonly BridgeHarness _harness;
    private readonly int _port = FreeTcpPort.Find();

    public MetricsTests(MosquittoContainer mosquitto, NatsContainer nats, ITestOutputHelper output) =>
        _harness = new BridgeHarness(mosquitto, nats, output, "metrics");

    public async Task InitializeAsync() => await _harness.StartDaemonAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_scrape_counts_events_by_type_rejects_by_reason_publishes_per_sink_and_the_roster_and_promtool_accepts_it()
    {
        var started = DateTimeOffset.UtcNow;
        _harness.Daemon.Attach(1, 201, "alpha", state: 3);
        _harness.Daemon.Attach(2, 202, "beta", state: 3);
        _harness.Daemon.Attach(3, 203, "gamma", state: 1);
        StartBridge();
        await _harness.ConvergeAsync();

        _harness.Daemon.Update(2, state: 5);
        _harness.Daemon.Detach(3);
        _harness.Daemon.EmitRaw(Roster(endpoint: 99, seq: 1_000_000)); // no such slot: rejected, never published
        await _harness.ConvergeAsync();
        var metrics = await ScrapeWhenAsync(scrape => scrape.Value("rosterbridge_frames_rejected_total", ("reason", "bad_endpoint")) == 1
            && scrape.Value("rosterbridge_outbox_pending", ("sink", "mqtt")) == 0 && scrape.Value("rosterbridge_outbox_pending", ("sink", "nats")) == 0);

        Assert.Equal(Names.Order(), metrics.SampleNames.Order());
        Assert.Equal("counter", metrics.Types["rosterbridge_events_total"]);
        Assert.Equal("gauge", metrics.Types["rosterbridge_roster_slots_occupied"]);
        // The replay (3 occupied slots), an update, a detach and the rejected frame; one WELCOME, one SYNC.
        Assert.Equal(6, metrics.Value("rosterbridge_events_total", ("type", "roster")));
        Assert.Equal(1, metrics.Value("rosterbridge_events_total", ("type", "welcome")));
        Assert.Equal(1, metrics.Value("rosterbridge_events_total", ("type", "sync")));
        Assert.Equal(0, metrics.Value("rosterbridge_events_total", ("type", "error")));
        foreach (var reason in new[] { "bad_action", "short_payload", "stale", "protocol" })
        {
            Assert.Equal(0, metrics.Value("rosterbridge_frames_rejected_total", ("reason", reason)));
        }

        var occupied = _harness.Daemon.Snapshot().Count(slot => slot is not null);
        Assert.Equal(2, occupied);
        Assert.Equal(occupied, metrics.Value("rosterbridge_roster_slots_occupied"));
        foreach (var sink in new[] { "mqtt", "nats" })
        {
            // Three attaches at least were sent; the first session found the other slots as the broker held them.
            var ok = metrics.Value("rosterbridge_publishes_total", ("result", "ok"), ("sink", sink));
            Assert.InRange(ok, 3, 64 + 3);
            Assert.Equal(_harness.Bridge!.Sink(sink)!.Counters.Sent, ok);
            Assert.True(ok + metrics.Value("rosterbridge_publishes_total", ("result", "unchanged"), ("sink", sink)) >= 64, $"{sink}: every slot accounted for");
            Assert.Equal(0, metrics.Value("rosterbridge_publishes_total", ("result", "failed"), ("sink", sink)));
            Assert.Equal(0, metrics.Value("rosterbridge_reconnects_total", ("connection", sink)));
            Assert.Equal(1, metrics.Value("rosterbridge_connected", ("connection", sink)));
            Assert.All(Outbox.SinkProblem.Kinds, kind => Assert.Equal(0, metrics.Value("rosterbridge_sink_problem", ("sink", sink), ("kind", kind))));
        }

        Assert.Equal(0, metrics.Value("rosterbridge_reconnects_total", ("connection", "daemon")));
        var lastSync = metrics.Value("rosterbridge_daemon_last_sync_timestamp_seconds");
        Assert.InRange(lastSync, started.ToUnixTimeMilliseconds() / 1000.0 - 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);

        var (exitCode, said) = await metrics.PromtoolAsync();
        Assert.True(exitCode == 0 && said.Trim().Length == 0, $"promtool check metrics: exit code {exitCode}: {said}\n{metrics.Text}");
    }

    [Fact]
    public async Task A_sink_that_cannot_connect_shows_its_problem_in_the_metrics_and_in_readyz()
    {
        var nowhere = FreeTcpPort.Find();
        _harness.Daemon.Attach(7, 207, "lonely", state: 3);
        StartBridge(opts => opts with { Nats = opts.Nats! with { Url = new BrokerUrl("127.0.0.1", nowhere) } });

        var metrics = await ScrapeWhenAsync(scrape => scrape.Value("rosterbridge_sink_problem", ("sink", "nats"), ("kind", "unreachable")) == 1
            && scrape.Value("rosterbridge_connected", ("connection", "mqtt")) == 1);
        Assert.All(Outbox.SinkProblem.Kinds.Where(kind => kind != "unreachable"),
            kind => Assert.Equal(0, metrics.Value("rosterbridge_sink_problem", ("sink", "nats"), ("kind", kind))));
        Assert.All(Outbox.SinkProblem.Kinds, kind => Assert.Equal(0, metrics.Value("rosterbridge_sink_problem", ("sink", "mqtt"), ("kind", kind))));
        Assert.Equal(0, metrics.Value("rosterbridge_connected", ("connection", "nats")));

        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{_port}/readyz"));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var readyz = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var nats = readyz.RootElement.GetProperty("sinks").GetProperty("nats");
        Assert.Equal("unreachable", nats.GetProperty("problem_kind").GetString());
        Assert.Contains(nowhere.ToString(System.Globalization.CultureInfo.InvariantCulture), nats.GetProperty("problem").GetString() + readyz.RootElement.GetProperty("missing").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Prometheus_server_scrapes_the_bridge_and_answers_queries_on_its_metrics()
    {
        _harness.Daemon.Attach(10, 210, "scraped-1", state: 3);
        _harness.Daemon.Attach(11, 211, "scraped-2", state: 3);
        _harness.Daemon.Attach(12, 212, "scraped-3", state: 3);
        StartBridge();
        await _harness.ConvergeAsync();

        await using var prometheus = PrometheusServer.Start($"127.0.0.1:{_port}");
        await Retry.Until(async () => await prometheus.QueryAsync("up{job=\"rosterbridge\"}") is [{ Value: 1 }], Within, "Prometheus scraped the bridge (up == 1)");
        await Retry.Until(async () => await prometheus.QueryAsync("rosterbridge_roster_slots_occupied") is [{ Value: 3 }], Within, "rosterbridge_roster_slots_occupied == 3 in Prometheus");

        _harness.Daemon.Detach(12);
        await Retry.Until(async () => await prometheus.QueryAsync("rosterbridge_roster_slots_occupied") is [{ Value: 2 }], Within, "rosterbridge_roster_slots_occupied == 2 after a detach");
        var published = await prometheus.QueryAsync("sum by (sink) (rosterbridge_publishes_total{result=\"ok\"})");
        Assert.Equal(["mqtt", "nats"], published.Select(sample => sample.Labels["sink"]).Order());
        Assert.All(published, sample => Assert.True(sample.Value >= 3, $"{sample.Labels["sink"]}: {sample.Value} publishes"));
        Assert.Equal(1, (await prometheus.QueryAsync("rosterbridge_events_total{type=\"sync\"}")).Single().Value);

        // The names Prometheus stores are the contract's: no unit or _total added twice. It asks for OpenMetrics,
        // in which each counter also has its _created series.
        var stored = (await prometheus.NamesAsync()).Where(name => name.StartsWith("rosterbridge_", StringComparison.Ordinal)).ToHashSet();
        Assert.Subset(stored, Names.ToHashSet());
        var counters = Names.Where(name => name.EndsWith("_total", StringComparison.Ordinal)).Select(name => name[..^"_total".Length] + "_created");
        Assert.Subset(Names.Concat(counters).ToHashSet(), stored);
    }

    private void StartBridge(Func<BridgeOpts, BridgeOpts>? adjust = null) =>
        _harness.StartBridge(opts => (adjust?.Invoke(opts) ?? opts) with { Health = new HealthOpts { Port = _port, Address = "127.0.0.1" } });

    private async Task<Exposition> ScrapeWhenAsync(Func<Exposition, bool> condition)
    {
        Exposition? last = null;
        try
        {
            await Retry.Until(async () => condition(last = await Exposition.ScrapeAsync(_port)), Within);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nlast scrape:\n{last?.Text}");
        }

        return last!;
    }

    private static byte[] Roster(int endpoint, ulong seq)
    {
        var frame = new byte[EventWriter.WireSize];
        var header = new EventHeader((ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Core, (ushort)endpoint, 0, seq, seq);
        var datum = new RosterDatum { Vmid = 4242, State = 3, Action = 0 };
        datum.SetName("bad");
        datum.Write(EventWriter.WriteEvent(frame, header));
        return frame;
    }
}
