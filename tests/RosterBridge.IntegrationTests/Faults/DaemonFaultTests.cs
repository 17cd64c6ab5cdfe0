using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Frames;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Roster;
using RosterBridge.Simulate;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Faults;

/// <summary>
/// The daemon side going wrong, and brokers holding what the daemon does not have: the brokers
/// end up holding exactly the daemon's roster, and nothing outside this node's names is touched.
/// </summary>
public sealed class DaemonFaultTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly BridgeHarness _harness;

    public DaemonFaultTests(MosquittoContainer mosquitto, NatsContainer nats, ITestOutputHelper output)
    {
        _mosquitto = mosquitto;
        _nats = nats;
        _harness = new BridgeHarness(mosquitto, nats, output, "dfault");
    }

    public async Task InitializeAsync() => await _harness.StartDaemonAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task A_daemon_restarted_with_a_different_roster_is_the_new_truth()
    {
        _harness.Churn(40, seed: 11);
        _harness.StartBridge();
        await _harness.ConvergeAsync();

        var changed = new RosterSlot?[64];
        changed[0] = new RosterSlot(9000, "after-restart", 3);
        changed[63] = new RosterSlot(9001, "another", 1);
        await _harness.Daemon.RestartAsync(roster: changed);

        await _harness.ConvergeAsync();
        Assert.True(_harness.BridgeIsRunning);
        await Retry.Until(() => _harness.Bridge!.Counters.Syncs >= 2, BridgeHarness.Converge, "a second SYNC after the restart");
    }

    [Fact]
    public async Task Malformed_input_is_rejected_or_drops_the_connection_and_never_reaches_a_broker()
    {
        _harness.Churn(20, seed: 12);
        _harness.StartBridge();
        await _harness.ConvergeAsync();
        var counters = _harness.Bridge!.Counters;

        // Well framed but invalid: an endpoint outside 0..63, an unknown action, an unknown type.
        _harness.Daemon.EmitRaw(Roster(endpoint: 99, action: 0, seq: 1_000_000));
        _harness.Daemon.EmitRaw(Roster(endpoint: 5, action: 7, seq: 1_000_001));
        _harness.Daemon.EmitRaw(Event(type: 99, endpoint: 5, seq: 1_000_002));
        await Retry.Until(() => counters.BadEndpoint >= 1 && counters.BadAction >= 1 && counters.SkippedEvents >= 1, BridgeHarness.Converge);

        // A length no frame may have: the bridge drops the connection and comes back for a fresh replay.
        _harness.Daemon.EmitRaw([0xFF, 0xFF, 0x00, 0x00]);
        await Retry.Until(() => counters.ProtocolErrors >= 1 && counters.Syncs >= 2, BridgeHarness.Converge, "a reconnect after the protocol error");
        _harness.Churn(10, seed: 13);

        await _harness.ConvergeAsync();
        Assert.True(_harness.BridgeIsRunning);
    }

    [Fact]
    public async Task Ghosts_and_strays_under_this_node_are_cleared_and_other_nodes_are_untouched()
    {
        _harness.Daemon.Attach(1, 700, "kept", state: 3);
        var node = _harness.Node;
        var other = $"other-{Guid.NewGuid():N}"[..12];

        // Left over from earlier runs: a ghost (slot 9, which the daemon does not have), a stray
        // (roster/99, no endpoint at all), and another node's entry that is none of our business.
        await PublishRetainedAsync($"vmsig/{node}/roster/9", """{"vmid":1}""");
        await PublishRetainedAsync($"vmsig/{node}/roster/99", """{"vmid":2}""");
        await PublishRetainedAsync($"vmsig/{other}/roster/9", """{"vmid":3}""");
        await using (var nats = new NatsConnection(new NatsOpts { Url = _nats.Url.ToString() }))
        {
            var js = new NatsJSContext(nats);
            await js.CreateOrUpdateStreamAsync(new StreamConfig("VMSIG_ROSTER", ["vmsig.*.roster.*"]) { MaxMsgsPerSubject = 1, AllowDirect = true });
            foreach (var subject in new[] { $"vmsig.{node}.roster.9", $"vmsig.{node}.roster.99", $"vmsig.{other}.roster.9" })
            {
                (await js.PublishAsync(subject, Encoding.UTF8.GetBytes("ghost"))).EnsureSuccess();
            }
        }

        _harness.StartBridge();

        await _harness.ConvergeAsync(); // fails on 9 or 99 still being there
        var othersEntry = (await LateSubscriber.ReadRetainedAsync(_mosquitto.Url, $"vmsig/{other}/roster/9")).Values.Single();
        Assert.Equal("""{"vmid":3}""", Encoding.UTF8.GetString(othersEntry));
        var otherNats = await LateSubscriber.ReadNatsAsync(_nats.Url, other);
        Assert.True(otherNats.Entries.ContainsKey(9), "another node's subject was deleted"); // its body is not ours to judge
        Assert.Empty(otherNats.Deleted);
        Assert.Contains(9, (await LateSubscriber.ReadNatsAsync(_nats.Url, node)).Deleted);
    }

    private static byte[] Roster(int endpoint, uint action, ulong seq)
    {
        var frame = new byte[EventWriter.WireSize];
        var header = new EventHeader((ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Core, (ushort)endpoint, 0, seq, seq);
        var datum = new RosterDatum { Vmid = 4242, State = 3, Action = action };
        datum.SetName("bad");
        datum.Write(EventWriter.WriteEvent(frame, header));
        return frame;
    }

    private static byte[] Event(ushort type, int endpoint, ulong seq)
    {
        var frame = new byte[EventWriter.WireSize];
        EventWriter.WriteEvent(frame, new EventHeader(type, (byte)EventDirection.Up, (byte)EventSource.Core, (ushort)endpoint, 0, seq, seq));
        return frame;
    }

    private async Task PublishRetainedAsync(string topic, string payload)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(_mosquitto.Host, _mosquitto.Port).WithProtocolVersion(MqttProtocolVersion.V500).Build());
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await client.DisconnectAsync();
    }
}
