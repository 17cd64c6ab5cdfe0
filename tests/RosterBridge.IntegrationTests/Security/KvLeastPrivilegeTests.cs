using System.Text.Json;
using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Simulate;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// KV mode under exactly the example permissions of config/nats/rosterbridge.conf (user bridge-pve1-kv,
/// over TLS with a password): the bridge for pve1 creates its bucket, publishes, reads back, sweeps and
/// republishes (a delete included), with nothing refused; and with pve1's user, pve2's keys are refused
/// by the server.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KvLeastPrivilegeTests : IClassFixture<SecureNatsContainer>, IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private readonly SecureNatsContainer _nats;
    private readonly ILoggerFactory _logging;
    private SimulatedDaemon _daemon = null!;
    private readonly DaemonOnSocket _socket = new("rosterbridge-kv-secure-");

    public KvLeastPrivilegeTests(SecureNatsContainer nats, ITestOutputHelper output)
    {
        _nats = nats;
        _logging = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(new TestOutputLoggerProvider(output)));
    }

    public async Task InitializeAsync() => _daemon = await _socket.StartAsync();

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    public void Dispose() => _logging.Dispose();

    private NatsSinkOpts Nats(string user, string password) => new()
    {
        Url = new BrokerUrl(_nats.Host, _nats.Port, Tls: true),
        Username = user,
        Password = new Secret(password, null),
        Tls = new TlsFiles(_nats.Pki.CaFile, null, null),
        Format = Payload.PayloadFormat.Json,
        PublishTimeout = TimeSpan.FromSeconds(5),
        Mode = NatsMode.Kv,
    };

    [Fact]
    public async Task Under_the_example_kv_permissions_the_bridge_creates_its_bucket_publishes_reads_back_sweeps_and_republishes()
    {
        var nats = Nats("bridge-pve1-kv", SecureNatsContainer.Password1);
        _daemon.Attach(1, 201, "kv-web", state: 3);
        _daemon.Attach(2, 202, "kv-db", state: 3);
        var bridge = new Bridge(new BridgeOpts
        {
            Node = "pve1", Daemon = _daemon.Endpoint, Mqtt = null, Nats = nats,
            Reconnect = new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromSeconds(1) },
            Health = new HealthOpts { Port = 0 },
        }, _logging);
        using var stop = new CancellationTokenSource();
        var running = bridge.RunAsync(stop.Token);
        await ConvergeAsync(nats, new ExpectedRoster("pve1").Set(1, 201, "kv-web", 3).Set(2, 202, "kv-db", 3));

        // The daemon restarts without one of them: the sweep after its SYNC deletes its key.
        _daemon = await _socket.StartAsync(daemon => daemon.Attach(1, 201, "kv-web", state: 4));
        await ConvergeAsync(nats, new ExpectedRoster("pve1").Set(1, 201, "kv-web", 4));

        // A delete, then a put on the same key: the revision of the delete is read with the KV client's get.
        _daemon.Detach(1);
        await ConvergeAsync(nats, new ExpectedRoster("pve1"));
        _daemon.Attach(1, 211, "kv-again", state: 3);
        await ConvergeAsync(nats, new ExpectedRoster("pve1").Set(1, 211, "kv-again", 3));

        var sink = Assert.Single(bridge.Sinks);
        Assert.Null(sink.Problem);
        Assert.Equal(0, sink.Counters.FailedPublishes); // nothing refused or denied on the way
        await stop.CancelAsync();
        await running;
    }

    [Fact]
    public async Task With_node_pve1s_kv_credentials_node_pve2s_keys_are_refused_by_the_server()
    {
        // pve2's own bridge user writes its key; pve1's user may read the bucket but not write pve2's keys.
        await using (var pve2 = await ConnectAsync(Nats("bridge-pve2-kv", SecureNatsContainer.Password2), "pve2"))
        {
            await pve2.ReadBackAsync(CancellationToken.None);
            Assert.True(await pve2.PublishAsync(Job(5, vmid: 502), CancellationToken.None));
        }

        await using var session = await ConnectAsync(Nats("bridge-pve1-kv", SecureNatsContainer.Password1), node: "pve2");
        await session.ReadBackAsync(CancellationToken.None);

        await Assert.ThrowsAnyAsync<Exception>(() => session.PublishAsync(Job(5, vmid: 666), CancellationToken.None));
        Assert.Contains("Permissions Violation for Publish to \"$KV.vmsig_roster.pve2.5\"", session.Denial, StringComparison.OrdinalIgnoreCase);
        var held = await NatsRosterReader.ReadLastAsync(Nats("bridge-pve2-kv", SecureNatsContainer.Password2), "pve2", CancellationToken.None);
        using var value = JsonDocument.Parse(Assert.Single(held, entry => entry.Subject == "pve2.5").Body);
        Assert.Equal(502u, value.RootElement.GetProperty("vmid").GetUInt32());
    }

    private static PublishJob Job(int endpoint, uint vmid) =>
        new(endpoint, new SlotState(new RosterDatum { Vmid = vmid, State = 3, Action = (uint)RosterAction.Attach }, RosterAction.Attach, 1, 1), 1, BrokerStateUnknown: true, 1);

    private async Task<BrokerSession> ConnectAsync(NatsSinkOpts opts, string node) =>
        await new NatsSink(opts, node, _logging.CreateLogger("test")).ConnectAsync(CancellationToken.None);


    private static async Task ConvergeAsync(NatsSinkOpts nats, ExpectedRoster expected)
    {
        RosterView? view = null;
        try
        {
            await Retry.Until(async () => expected.IsMatchedBy(view = await ReadAsync(nats)), Converge);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nbucket: {view}");
        }
    }

    /// <summary>The node's keys as <c>rosterbridge show</c> reads them, under the bridge's own user.</summary>
    private static async Task<RosterView> ReadAsync(NatsSinkOpts nats)
    {
        var entries = new Dictionary<int, JsonElement>();
        var deleted = new HashSet<int>();
        foreach (var entry in await NatsRosterReader.ReadLastAsync(nats, "pve1", CancellationToken.None))
        {
            var endpoint = int.Parse(entry.Subject["pve1.".Length..], System.Globalization.CultureInfo.InvariantCulture);
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
