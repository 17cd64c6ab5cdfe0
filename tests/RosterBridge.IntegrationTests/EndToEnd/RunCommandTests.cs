using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.IntegrationTests.EndToEnd;

/// <summary><c>rosterbridge run</c> as a user runs it: its own process, configured by environment variables only.</summary>
public sealed class RunCommandTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly string _node = $"run-{Guid.NewGuid():N}"[..16];
    private SimulatedDaemon _daemon = null!;
    private readonly DaemonOnSocket _socket = new("rosterbridge-run-");

    public RunCommandTests(MosquittoContainer mosquitto, NatsContainer nats)
    {
        _mosquitto = mosquitto;
        _nats = nats;
    }

    public async Task InitializeAsync() => _daemon = await _socket.StartAsync();

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    [Fact]
    public async Task Configured_by_the_four_variables_it_publishes_the_roster_and_stops_cleanly_on_SIGTERM()
    {
        _daemon.Attach(4, 110, "alpha", state: 3);
        _daemon.Attach(5, 111, "beta", state: 1);
        await using var bridge = BridgeProcess.Start(["run"], new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = _node,
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = $"mqtt://{_mosquitto.Host}:{_mosquitto.Port}",
            ["ROSTERBRIDGE_NATS__URL"] = $"nats://{_nats.Host}:{_nats.Port}",
        });

        var expected = new ExpectedRoster(_node).Set(4, 110, "alpha", 3).Set(5, 111, "beta", 1);
        await ConvergeAsync(expected, bridge);

        _daemon.Update(5, state: 2, newName: "beta-2");
        _daemon.Detach(4);
        _daemon.Attach(40, 112, "gamma", state: 3);
        await ConvergeAsync(expected.Vacate(4).Set(5, 111, "beta-2", 2).Set(40, 112, "gamma", 3), bridge);
        Assert.Contains(4, (await LateSubscriber.ReadNatsAsync(_nats.Url, _node)).Deleted);

        bridge.Terminate();
        Assert.Equal(0, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("offline", await LateSubscriber.ReadMqttStatusAsync(_mosquitto.Url, _node));
    }

    [Fact]
    public async Task Killed_with_SIGKILL_while_slots_are_vacated_the_next_bridge_clears_them()
    {
        _daemon.Attach(10, 120, "one", state: 3);
        _daemon.Attach(11, 121, "two", state: 3);
        _daemon.Attach(12, 122, "three", state: 3);
        var environment = new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = _node,
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = $"mqtt://{_mosquitto.Host}:{_mosquitto.Port}",
            ["ROSTERBRIDGE_NATS__URL"] = $"nats://{_nats.Host}:{_nats.Port}",
        };
        var expected = new ExpectedRoster(_node).Set(10, 120, "one", 3).Set(11, 121, "two", 3).Set(12, 122, "three", 3);
        await using (var first = BridgeProcess.Start(["run"], environment))
        {
            await ConvergeAsync(expected, first);
            first.Kill(); // SIGKILL: no flush, no offline, nothing
            Assert.Equal(137, await first.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }

        // While no bridge runs, two slots are vacated and one changes hands.
        _daemon.Detach(10);
        _daemon.Detach(11);
        _daemon.Attach(12, 130, "new-owner", state: 2);

        await using var second = BridgeProcess.Start(["run"], environment);
        await ConvergeAsync(expected.Vacate(10).Vacate(11).Set(12, 130, "new-owner", 2), second);
        var nats = await LateSubscriber.ReadNatsAsync(_nats.Url, _node);
        Assert.Contains(10, nats.Deleted);
        Assert.Contains(11, nats.Deleted);
    }

    [Fact]
    public async Task Ready_exits_0_once_the_bridge_is_caught_up_and_1_after_the_daemon_is_gone()
    {
        _daemon.Attach(2, 140, "ready-check", state: 3);
        var port = FreeTcpPort.Find().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var bridge = BridgeProcess.Start(["run", "--Health:Port", port], new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = _node,
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = $"mqtt://{_mosquitto.Host}:{_mosquitto.Port}",
            ["ROSTERBRIDGE_NATS__URL"] = $"nats://{_nats.Host}:{_nats.Port}",
        });

        await Retry.Until(async () => await ReadyAsync(port) == 0, Converge, "rosterbridge ready exits 0");
        await ConvergeAsync(new ExpectedRoster(_node).Set(2, 140, "ready-check", 3), bridge);

        await _daemon.DisposeAsync(); // the daemon goes away: the bridge is no longer synced
        await Retry.Until(async () => await ReadyAsync(port) == 1, Converge, "rosterbridge ready exits 1");
        Assert.False(bridge.HasExited);
    }

    [Fact]
    public async Task A_daemon_that_refuses_the_roster_stops_it_with_exit_code_3()
    {
        _daemon.RefuseRoster = true;
        await using var bridge = BridgeProcess.Start(["run", "--Health:Port=0"], new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = _node,
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = $"mqtt://{_mosquitto.Host}:{_mosquitto.Port}",
            ["ROSTERBRIDGE_NATS__URL"] = "off",
        });

        Assert.Equal(3, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("capability refused", bridge.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ROSTERBRIDGE_NODE", "pve1.example", "Node")]
    [InlineData("ROSTERBRIDGE_MQTT__URL", "http://broker:1883", "Mqtt:Url")]
    [InlineData("ROSTERBRIDGE_NATS__URL", "nats://", "Nats:Url")]
    [InlineData("ROSTERBRIDGE_DAEMON__ENDPOINT", "/run/vmsig/vmsig.sock", "Daemon:Endpoint")]
    public async Task A_bad_setting_stops_it_before_connecting_with_exit_code_2_naming_the_key(string variable, string value, string key)
    {
        var environment = new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = "good",
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = "mqtt://127.0.0.1:1",
            ["ROSTERBRIDGE_NATS__URL"] = "nats://127.0.0.1:1",
        };
        environment[variable] = value;
        await using var bridge = BridgeProcess.Start(["run"], environment);

        Assert.Equal(2, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains($"configuration error: {key}:", bridge.Output, StringComparison.Ordinal);
        Assert.Equal(0, _daemon.ConnectedSubscribers);
    }

    [Fact]
    public async Task Both_sinks_off_is_a_configuration_error()
    {
        await using var bridge = BridgeProcess.Start(["run", "--mqtt", "off", "--nats", "off", "--node", "n1"], new Dictionary<string, string>());
        Assert.Equal(2, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("both sinks are off", bridge.Output, StringComparison.Ordinal);
    }

    private static async Task<int> ReadyAsync(string port)
    {
        await using var ready = BridgeProcess.Start(["ready", "--Health:Port", port], new Dictionary<string, string>());
        return await ready.WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    private async Task ConvergeAsync(ExpectedRoster expected, BridgeProcess bridge)
    {
        try
        {
            await Retry.Until(async () => expected.IsMatchedBy(await LateSubscriber.ReadMqttAsync(_mosquitto.Url, _node)), Converge);
            await Retry.Until(async () => expected.IsMatchedBy(await LateSubscriber.ReadNatsAsync(_nats.Url, _node)), Converge);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nrosterbridge output:\n{bridge.Output}");
        }
    }
}
