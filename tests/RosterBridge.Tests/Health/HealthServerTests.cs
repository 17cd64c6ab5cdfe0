using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Health;
using Xunit;

namespace RosterBridge.Tests.Health;

/// <summary>The health endpoints over real HTTP on the loopback, with a readiness the test sets.</summary>
public sealed class HealthServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly BridgeCounters _counters = new();
    private readonly HttpClient _http = new() { Timeout = Patience };
    private Readiness _readiness;
    private HealthServer? _server;
    private int _port;

    public HealthServerTests()
    {
        _readiness = new Readiness(DaemonSynced: true, [Sink("mqtt"), Sink("nats")], _counters);
    }

    public Task InitializeAsync()
    {
        _port = FreePort();
        _server = new HealthServer("127.0.0.1", _port, () => _readiness, NullLogger.Instance);
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_server is not null)
        {
            // Bounded: a server that does not stop fails the test instead of hanging the run.
            await _server.DisposeAsync().AsTask().WaitAsync(Patience);
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try
        {
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        finally
        {
            probe.Stop();
        }
    }

    private static SinkReadiness Sink(string name, bool connected = true, int pending = 0, long published = 0, long failed = 0) =>
        new(name, connected, pending, published, failed);

    private Uri At(string path) => new($"http://127.0.0.1:{_port}{path}");

    private async Task<(HttpStatusCode Status, MediaTypeHeaderValue? Type, JsonElement Json)> GetAsync(string path)
    {
        using var response = await _http.GetAsync(At(path));
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        return (response.StatusCode, response.Content.Headers.ContentType, json.RootElement.Clone());
    }

    private static string[] Missing(JsonElement json) =>
        json.GetProperty("missing").EnumerateArray().Select(item => item.GetString()!).ToArray();

    [Fact]
    public async Task Healthz_is_200_alive_as_JSON()
    {
        var (status, type, json) = await GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", type?.MediaType);
        Assert.True(json.GetProperty("alive").GetBoolean());
    }

    [Fact]
    public async Task Healthz_stays_200_when_nothing_is_ready()
    {
        _readiness = new Readiness(DaemonSynced: false, [Sink("mqtt", connected: false)], _counters);

        var (status, _, json) = await GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(json.GetProperty("alive").GetBoolean());
    }

    [Fact]
    public async Task Readyz_is_503_naming_an_unsynced_daemon()
    {
        _readiness = _readiness with { DaemonSynced = false };

        var (status, type, json) = await GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("application/json", type?.MediaType);
        Assert.False(json.GetProperty("ready").GetBoolean());
        var missing = Assert.Single(Missing(json));
        Assert.Contains("daemon", missing, StringComparison.Ordinal);
        Assert.Contains("not synced", missing, StringComparison.Ordinal);
        Assert.False(json.GetProperty("daemon").GetProperty("synced").GetBoolean());
    }

    [Fact]
    public async Task Readyz_is_503_naming_a_sink_that_is_not_connected()
    {
        _readiness = _readiness with { Sinks = [Sink("mqtt"), Sink("nats", connected: false)] };

        var (status, _, json) = await GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.False(json.GetProperty("ready").GetBoolean());
        var missing = Assert.Single(Missing(json));
        Assert.StartsWith("nats", missing, StringComparison.Ordinal);
        Assert.Contains("not connected", missing, StringComparison.Ordinal);
        Assert.False(json.GetProperty("sinks").GetProperty("nats").GetProperty("connected").GetBoolean());
        Assert.True(json.GetProperty("sinks").GetProperty("mqtt").GetProperty("connected").GetBoolean());
    }

    [Fact]
    public async Task Readyz_is_503_naming_a_sink_with_pending_endpoints_and_how_many()
    {
        _readiness = _readiness with { Sinks = [Sink("mqtt", pending: 17), Sink("nats")] };

        var (status, _, json) = await GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var missing = Assert.Single(Missing(json));
        Assert.StartsWith("mqtt", missing, StringComparison.Ordinal);
        Assert.Contains("17", missing, StringComparison.Ordinal);
        Assert.Equal(17, json.GetProperty("sinks").GetProperty("mqtt").GetProperty("pending").GetInt32());
    }

    [Fact]
    public async Task Readyz_names_everything_missing_at_once()
    {
        _readiness = new Readiness(DaemonSynced: false, [Sink("mqtt", connected: false), Sink("nats", pending: 3)], _counters);

        var (status, _, json) = await GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Collection(
            Missing(json),
            daemon => Assert.Contains("daemon", daemon, StringComparison.Ordinal),
            mqtt =>
            {
                Assert.StartsWith("mqtt", mqtt, StringComparison.Ordinal);
                Assert.Contains("not connected", mqtt, StringComparison.Ordinal);
            },
            nats =>
            {
                Assert.StartsWith("nats", nats, StringComparison.Ordinal);
                Assert.Contains("3", nats, StringComparison.Ordinal);
            });
    }

    [Fact]
    public async Task Readyz_turns_200_once_all_is_well_and_asks_again_on_every_request()
    {
        _readiness = _readiness with { DaemonSynced = false };
        var (before, _, _) = await GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, before);

        _readiness = _readiness with { DaemonSynced = true };
        var (status, type, json) = await GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", type?.MediaType);
        Assert.True(json.GetProperty("ready").GetBoolean());
        Assert.Empty(Missing(json));

        _readiness = _readiness with { Sinks = [Sink("mqtt", pending: 1)] };
        var (after, _, _) = await GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after);
    }

    [Fact]
    public async Task Readyz_ignores_a_query_string()
    {
        var (status, _, json) = await GetAsync("/readyz?verbose=1");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(json.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task Readyz_JSON_carries_the_counters_and_each_sinks_numbers()
    {
        _counters.DaemonConnected();
        _counters.DaemonConnected();
        _counters.Synced();
        for (var i = 0; i < 5; i++)
        {
            _counters.RosterEvent();
        }

        _counters.Skipped();
        _counters.RejectedStale();
        _counters.RejectedEndpoint();
        _counters.RejectedAction();
        _counters.ProtocolError();
        _readiness = _readiness with { Sinks = [Sink("mqtt", published: 42, failed: 2), Sink("nats", published: 7)] };

        var (status, _, json) = await GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, status);
        var daemon = json.GetProperty("daemon");
        Assert.True(daemon.GetProperty("synced").GetBoolean());
        Assert.Equal(2, daemon.GetProperty("connections").GetInt64());
        Assert.Equal(1, daemon.GetProperty("syncs").GetInt64());
        Assert.Equal(5, daemon.GetProperty("roster_events").GetInt64());
        Assert.Equal(1, daemon.GetProperty("skipped_events").GetInt64());
        Assert.Equal(3, daemon.GetProperty("rejected_events").GetInt64());
        Assert.Equal(1, daemon.GetProperty("protocol_errors").GetInt64());

        var mqtt = json.GetProperty("sinks").GetProperty("mqtt");
        Assert.True(mqtt.GetProperty("connected").GetBoolean());
        Assert.Equal(0, mqtt.GetProperty("pending").GetInt32());
        Assert.Equal(42, mqtt.GetProperty("published").GetInt64());
        Assert.Equal(2, mqtt.GetProperty("failed_publishes").GetInt64());
        Assert.Equal(7, json.GetProperty("sinks").GetProperty("nats").GetProperty("published").GetInt64());
        Assert.Equal(["mqtt", "nats"], json.GetProperty("sinks").EnumerateObject().Select(sink => sink.Name));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/metrics")]
    [InlineData("/readyz/extra")]
    public async Task An_unknown_path_is_404_with_a_JSON_body(string path)
    {
        var (status, type, json) = await GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/json", type?.MediaType);
        Assert.Equal(JsonValueKind.Object, json.ValueKind);
    }

    [Fact]
    public async Task DisposeAsync_stops_the_server_so_a_request_afterwards_cannot_connect()
    {
        var (status, _, _) = await GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, status);

        await _server!.DisposeAsync().AsTask().WaitAsync(Patience);
        _server = null;

        // A fresh client: no pooled connection from before may answer instead of a new one.
        using var fresh = new HttpClient { Timeout = Patience };
        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync(At("/healthz")));
        Assert.Equal(HttpRequestError.ConnectionError, failure.HttpRequestError);
        var refused = Assert.IsType<SocketException>(failure.InnerException);
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
