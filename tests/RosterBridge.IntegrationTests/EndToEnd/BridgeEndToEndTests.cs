using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.EndToEnd;

/// <summary>
/// The bridge between a simulated daemon and real brokers: what a subscriber connecting afterwards
/// gets from each broker must be exactly the daemon's roster.
/// </summary>
public sealed class BridgeEndToEndTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly ILoggerFactory _logging;
    private readonly string _node = $"e2e-{Guid.NewGuid():N}"[..16];
    private SimulatedDaemon _daemon = null!;
    private readonly DaemonOnSocket _socket = new("rosterbridge-e2e-");

    public BridgeEndToEndTests(MosquittoContainer mosquitto, NatsContainer nats, ITestOutputHelper output)
    {
        _mosquitto = mosquitto;
        _nats = nats;
        _logging = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(new TestOutputLoggerProvider(output)));
    }

    public async Task InitializeAsync() => _daemon = await _socket.StartAsync();

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    public void Dispose() => _logging.Dispose();

    [Fact]
    public async Task Late_subscribers_get_the_replayed_roster_then_every_live_change()
    {
        // A roster that exists before the bridge starts: the daemon replays it.
        _daemon.Attach(0, 100, "web-01", state: 3);
        _daemon.Attach(7, 101, "db-primary", state: 4);
        _daemon.Attach(12, 102, "build-agent", state: 2);
        _daemon.Attach(63, 103, "サーバー名がとても長い仮想マシン", state: 3); // 48 bytes: cut at 31, inside a character
        _daemon.Attach(30, 104, "odd-state", state: 42);
        var expected = new ExpectedRoster(_node)
            .Set(0, 100, "web-01", 3)
            .Set(7, 101, "db-primary", 4)
            .Set(12, 102, "build-agent", 2)
            .Set(63, 103, "サーバー名がとても長", 3) // 10 characters = 30 bytes; the 31st byte began one that did not fit
            .Set(30, 104, "odd-state", 42);

        var bridge = new Bridge(Opts(), _logging);
        using var stop = new CancellationTokenSource();
        var running = bridge.RunAsync(stop.Token);

        await AssertBrokersConvergeAsync(expected, bridge);

        // Live changes: attach, update (state and rename), detach, and an attach replacing a VM.
        _daemon.Attach(20, 200, "new-vm", state: 2);
        _daemon.Update(20, state: 3);
        _daemon.Update(0, state: 4, newName: "web-01-renamed");
        _daemon.Detach(7);
        _daemon.Attach(12, 300, "replacement", state: 1);
        _daemon.EmitMemCtx(3);
        expected.Set(20, 200, "new-vm", 3).Set(0, 100, "web-01-renamed", 4).Vacate(7).Set(12, 300, "replacement", 1);

        await AssertBrokersConvergeAsync(expected, bridge);
        var nats = await LateSubscriber.ReadNatsAsync(_nats.Url, _node);
        Assert.Contains(7, nats.Deleted); // a vacated slot is a KV-Operation: DEL entry in the stream
        Assert.True(bridge.Counters.SkippedEvents >= 1, "MEMCTX is skipped and counted");
        Assert.Equal(0, bridge.Counters.Rejected);

        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task A_bridge_started_after_changes_clears_what_the_daemon_no_longer_has()
    {
        _daemon.Attach(1, 500, "short-lived", state: 3);
        _daemon.Attach(2, 501, "stays", state: 3);
        {
            var first = new Bridge(Opts(), _logging);
            using var stop = new CancellationTokenSource();
            var running = first.RunAsync(stop.Token);
            await AssertBrokersConvergeAsync(new ExpectedRoster(_node).Set(1, 500, "short-lived", 3).Set(2, 501, "stays", 3), first);
            await stop.CancelAsync();
            await running;
        }

        // While no bridge runs, slot 1 is vacated: the brokers still hold it.
        _daemon.Detach(1);
        var second = new Bridge(Opts(), _logging);
        using var stopSecond = new CancellationTokenSource();
        var runningSecond = second.RunAsync(stopSecond.Token);
        await AssertBrokersConvergeAsync(new ExpectedRoster(_node).Set(2, 501, "stays", 3), second);
        Assert.Contains(1, (await LateSubscriber.ReadNatsAsync(_nats.Url, _node)).Deleted);
        await stopSecond.CancelAsync();
        await runningSecond;
    }

    [Fact]
    public async Task The_bridge_says_online_on_both_brokers_and_offline_when_it_stops()
    {
        _daemon.Attach(3, 150, "status", state: 3);
        var bridge = new Bridge(Opts(), _logging);
        using var stop = new CancellationTokenSource();
        var running = bridge.RunAsync(stop.Token);
        await AssertBrokersConvergeAsync(new ExpectedRoster(_node).Set(3, 150, "status", 3), bridge);

        await using var nats = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = _nats.Url.ToString() });
        var status = $"vmsig.{_node}.bridge.status";
        var reply = await nats.RequestAsync<byte[], byte[]>(status, []);
        Assert.Equal("online", System.Text.Encoding.ASCII.GetString(reply.Data!));
        Assert.Equal("online", await LateSubscriber.ReadMqttStatusAsync(_mosquitto.Url, _node));

        await using var watcher = await nats.SubscribeCoreAsync<byte[]>(status);
        // SubscribeCoreAsync returns before the server has the subscription; a round trip after it
        // means the server holds it, or the bridge's offline could come first and be missed.
        await nats.PingAsync();
        await stop.CancelAsync();
        await running; // the sinks said offline as they stopped

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var announced = await watcher.Msgs.ReadAsync(timeout.Token);
        Assert.Equal("offline", System.Text.Encoding.ASCII.GetString(announced.Data!));
        Assert.Equal("offline", await LateSubscriber.ReadMqttStatusAsync(_mosquitto.Url, _node));

        // The bridge is gone (and so is our watcher, itself a subscriber): nobody answers any more.
        await watcher.DisposeAsync();
        await Assert.ThrowsAsync<NATS.Client.Core.NatsNoRespondersException>(
            async () => await nats.RequestAsync<byte[], byte[]>(status, [], replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = TimeSpan.FromSeconds(2) }));
    }

    private BridgeOpts Opts() => new()
    {
        Node = _node,
        Daemon = _daemon.Endpoint,
        Mqtt = new MqttSinkOpts { Url = new BrokerUrl(_mosquitto.Host, _mosquitto.Port), ClientId = $"rosterbridge-{_node}" },
        Nats = new NatsSinkOpts { Url = new BrokerUrl(_nats.Host, _nats.Port) },
        Reconnect = new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
        Health = new HealthOpts { Port = 0 },
    };

    private async Task AssertBrokersConvergeAsync(ExpectedRoster expected, Bridge bridge)
    {
        await Retry.Until(() => bridge.IsCaughtUp, Converge, "the bridge synced and every sink caught up");
        RosterView? mqtt = null;
        RosterView? nats = null;
        try
        {
            await Retry.Until(async () => expected.IsMatchedBy(mqtt = await LateSubscriber.ReadMqttAsync(_mosquitto.Url, _node)), Converge);
            await Retry.Until(async () => expected.IsMatchedBy(nats = await LateSubscriber.ReadNatsAsync(_nats.Url, _node)), Converge);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException(
                $"{ex.Message}\nmqtt: {(mqtt is null ? "(not read)" : expected.Mismatch(mqtt) + " — " + mqtt)}\nnats: {(nats is null ? "(not read)" : expected.Mismatch(nats) + " — " + nats)}");
        }
    }
}
