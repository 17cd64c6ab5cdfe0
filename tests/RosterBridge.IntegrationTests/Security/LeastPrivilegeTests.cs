using System.Text.Json;
using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Mqtt;
using RosterBridge.Nats;
using RosterBridge.Simulate;
using RosterBridge.Tls;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// The bridge for node pve1 under exactly the example permissions (config/mosquitto/acl,
/// config/nats/rosterbridge.conf), over TLS with passwords on both brokers: it connects, publishes,
/// reads back, sweeps and republishes; in-process, and as <c>rosterbridge run</c> configured from the
/// documented keys alone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LeastPrivilegeTests : IClassFixture<SecureMosquittoContainer>, IClassFixture<SecureNatsContainer>, IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private readonly SecureMosquittoContainer _mosquitto;
    private readonly SecureNatsContainer _nats;
    private readonly ILoggerFactory _logging;
    private SimulatedDaemon _daemon = null!;
    private readonly DaemonOnSocket _socket = new("rosterbridge-secure-");

    public LeastPrivilegeTests(SecureMosquittoContainer mosquitto, SecureNatsContainer nats, ITestOutputHelper output)
    {
        _mosquitto = mosquitto;
        _nats = nats;
        _logging = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(new TestOutputLoggerProvider(output)));
    }

    public async Task InitializeAsync() => _daemon = await _socket.StartAsync();

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    public void Dispose() => _logging.Dispose();

    private MqttSinkOpts Mqtt => new()
    {
        Url = new BrokerUrl(_mosquitto.Host, _mosquitto.Port, Tls: true),
        ClientId = "rosterbridge-pve1",
        Username = "bridge-pve1",
        Password = new Secret(SecureMosquittoContainer.Password1, null),
        Tls = new TlsFiles(_mosquitto.Pki.CaFile, null, null),
        PublishTimeout = TimeSpan.FromSeconds(5),
    };

    private NatsSinkOpts Nats => new()
    {
        Url = new BrokerUrl(_nats.Host, _nats.Port, Tls: true),
        Username = "bridge-pve1",
        Password = new Secret(SecureNatsContainer.Password1, null),
        Tls = new TlsFiles(_nats.Pki.CaFile, null, null),
        Format = Payload.PayloadFormat.Json,
        PublishTimeout = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public async Task Under_the_example_permissions_the_bridge_publishes_reads_back_sweeps_and_republishes()
    {
        _daemon.Attach(1, 201, "secure-web", state: 3);
        _daemon.Attach(2, 202, "secure-db", state: 3);
        var bridge = new Bridge(new BridgeOpts
        {
            Node = "pve1", Daemon = _daemon.Endpoint, Mqtt = Mqtt with { HomeAssistant = new HomeAssistantOpts() }, Nats = Nats,
            Reconnect = new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
            Health = new HealthOpts { Port = 0 },
        }, _logging);
        using var stop = new CancellationTokenSource();
        var running = bridge.RunAsync(stop.Token);

        await ConvergeAsync(new ExpectedRoster("pve1").Set(1, 201, "secure-web", 3).Set(2, 202, "secure-db", 3));

        // The daemon restarts without one of them: the sweep after its SYNC clears it.
        _daemon = await _socket.StartAsync(daemon => daemon.Attach(1, 201, "secure-web", state: 4));
        await ConvergeAsync(new ExpectedRoster("pve1").Set(1, 201, "secure-web", 4));

        Assert.All(bridge.Sinks, sink => Assert.Null(sink.Problem));
        // Home Assistant discovery under the same ACL: each VM's config published, the one that left cleared.
        await Retry.Until(() => bridge.HomeAssistant!.Counters.Published >= 3 && bridge.HomeAssistant.Counters.Cleared >= 1, Converge, "discovery published and cleared under the ACL");
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Rosterbridge_run_works_from_the_documented_keys_alone()
    {
        _daemon.Attach(5, 205, "from-keys", state: 3);
        var passwordFile = Path.Combine(_mosquitto.Pki.Folder, "mqtt-password");
        await File.WriteAllTextAsync(passwordFile, SecureMosquittoContainer.Password1);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var process = BridgeProcess.Start(["run", "--Health:Port=0"], new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = "pve1",
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = $"mqtts://{_mosquitto.Host}:{_mosquitto.Port}",
            ["ROSTERBRIDGE_MQTT__CAFILE"] = _mosquitto.Pki.CaFile,
            ["ROSTERBRIDGE_MQTT__USERNAME"] = "bridge-pve1",
            ["ROSTERBRIDGE_MQTT__PASSWORDFILE"] = passwordFile,
            ["ROSTERBRIDGE_NATS__URL"] = $"tls://{_nats.Host}:{_nats.Port}",
            ["ROSTERBRIDGE_NATS__CAFILE"] = _nats.Pki.CaFile,
            ["ROSTERBRIDGE_NATS__USERNAME"] = "bridge-pve1",
            ["ROSTERBRIDGE_NATS__PASSWORD"] = SecureNatsContainer.Password1,
            ["ROSTERBRIDGE_NATS__FORMAT"] = "json",
        });

        await ConvergeAsync(new ExpectedRoster("pve1").Set(5, 205, "from-keys", 3));
        process.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain(SecureNatsContainer.Password1, process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(SecureMosquittoContainer.Password1, process.Output, StringComparison.Ordinal);
    }

    private async Task ConvergeAsync(ExpectedRoster expected)
    {
        RosterView? mqtt = null;
        RosterView? nats = null;
        try
        {
            await Retry.Until(async () => expected.IsMatchedBy(mqtt = await ReadMqttAsync()), Converge);
            await Retry.Until(async () => expected.IsMatchedBy(nats = await ReadNatsAsync()), Converge);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nmqtt: {mqtt}\nnats: {nats}");
        }
    }

    private async Task<RosterView> ReadMqttAsync()
    {
        var entries = new Dictionary<int, JsonElement>();
        foreach (var (topic, payload) in await MqttRosterReader.ReadRetainedAsync(Mqtt with { ClientId = $"reader-{Guid.NewGuid():N}" }, "pve1", TimeSpan.FromSeconds(10), CancellationToken.None))
        {
            entries[int.Parse(topic[(topic.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture)] = JsonDocument.Parse(payload).RootElement.Clone();
        }

        return new RosterView(entries, new HashSet<int>());
    }

    private async Task<RosterView> ReadNatsAsync()
    {
        var entries = new Dictionary<int, JsonElement>();
        var deleted = new HashSet<int>();
        foreach (var entry in await NatsRosterReader.ReadLastAsync(Nats, "pve1", CancellationToken.None))
        {
            var endpoint = int.Parse(entry.Subject[(entry.Subject.LastIndexOf('.') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            if (entry.IsDelete)
            {
                deleted.Add(endpoint);
            }
            else
            {
                entries[endpoint] = JsonDocument.Parse(entry.Body).RootElement.Clone();
            }
        }

        return new RosterView(entries, deleted);
    }
}
