using Microsoft.Extensions.Logging;
using MQTTnet.Formatter;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Mqtt;

/// <summary>
/// <c>Mqtt:Protocol = 3.1.1</c> against mosquitto and against nats-server's MQTT listener (which
/// speaks nothing else): late subscribers get the roster, a vacated slot's retained entry goes.
/// </summary>
public sealed class Mqtt311Tests : IClassFixture<MosquittoContainer>, IClassFixture<NatsMqttContainer>, IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);

    private readonly MosquittoContainer _mosquitto;
    private readonly NatsMqttContainer _natsMqtt;
    private readonly ILoggerFactory _logging;
    private SimulatedDaemon _daemon = null!;
    private readonly DaemonOnSocket _socket = new("rosterbridge-mqtt311-");

    public Mqtt311Tests(MosquittoContainer mosquitto, NatsMqttContainer natsMqtt, ITestOutputHelper output)
    {
        _mosquitto = mosquitto;
        _natsMqtt = natsMqtt;
        _logging = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(new TestOutputLoggerProvider(output)));
    }

    public async Task InitializeAsync() => _daemon = await _socket.StartAsync();

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    public void Dispose() => _logging.Dispose();

    [Fact]
    public async Task Mosquitto_over_3_1_1_holds_the_roster_for_3_1_1_and_5_subscribers()
    {
        await PublishesTheRosterAsync(_mosquitto.Url, MqttProtocolVersion.V500, MqttProtocolVersion.V311);
    }

    [Fact]
    public async Task The_nats_server_mqtt_listener_holds_the_roster_and_clears_a_vacated_slot()
    {
        await PublishesTheRosterAsync(_natsMqtt.Url, MqttProtocolVersion.V311);
    }

    private async Task PublishesTheRosterAsync(Uri broker, params MqttProtocolVersion[] subscribers)
    {
        var node = $"v311-{Guid.NewGuid():N}"[..14];
        _daemon.Attach(3, 301, "web-311", state: 3);
        _daemon.Attach(4, 302, "db-311", state: 1);
        var bridge = new Bridge(Opts(node, broker), _logging);
        using var stop = new CancellationTokenSource();
        var running = bridge.RunAsync(stop.Token);

        var expected = new ExpectedRoster(node).Set(3, 301, "web-311", 3).Set(4, 302, "db-311", 1);
        await ConvergeAsync(expected, broker, node, subscribers);
        Assert.Equal("online", await StatusAsync(broker, node));

        _daemon.Detach(4);
        _daemon.Update(3, state: 4, newName: "web-311-b");
        await ConvergeAsync(expected.Vacate(4).Set(3, 301, "web-311-b", 4), broker, node, subscribers);

        await stop.CancelAsync();
        await running;
        Assert.Equal("offline", await StatusAsync(broker, node));
    }

    private static async Task ConvergeAsync(ExpectedRoster expected, Uri broker, string node, MqttProtocolVersion[] subscribers)
    {
        foreach (var protocol in subscribers)
        {
            RosterView? seen = null;
            try
            {
                await Retry.Until(async () => expected.IsMatchedBy(seen = await LateSubscriber.ReadMqttAsync(broker, node, protocol)), Converge);
            }
            catch (TimeoutException ex)
            {
                throw new Xunit.Sdk.XunitException($"{ex.Message}\n{protocol} subscriber: {(seen is null ? "(not read)" : expected.Mismatch(seen) + " — " + seen)}");
            }
        }
    }

    private static async Task<string?> StatusAsync(Uri broker, string node)
    {
        var retained = await LateSubscriber.ReadRetainedAsync(broker, $"vmsig/{node}/bridge/status", MqttProtocolVersion.V311);
        return retained.Count == 0 ? null : System.Text.Encoding.UTF8.GetString(retained.Values.Single());
    }

    private BridgeOpts Opts(string node, Uri broker) => new()
    {
        Node = node,
        Daemon = _daemon.Endpoint,
        Mqtt = new MqttSinkOpts
        {
            Url = new BrokerUrl(broker.Host, broker.Port),
            ClientId = $"rosterbridge-{node}",
            Protocol = MqttProtocol.V311,
            PublishTimeout = TimeSpan.FromSeconds(5),
        },
        Nats = null,
        Reconnect = new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
        Health = new HealthOpts { Port = 0 },
    };
}
