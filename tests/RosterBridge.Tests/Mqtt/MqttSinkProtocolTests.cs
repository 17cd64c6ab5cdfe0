using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.Mqtt;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Peers;
using RosterBridge.Tests.Roster;
using Xunit;

namespace RosterBridge.Tests.Mqtt;

/// <summary>What goes on the wire for each <c>Mqtt:Protocol</c>, seen by a scripted broker.</summary>
public class MqttSinkProtocolTests
{
    private static readonly PublishJob Job = new(7, new SlotState(Datums.Attach(107, 3, "web"), RosterAction.Attach, 1, 1), 1, BrokerStateUnknown: false, 1);

    [Fact]
    public async Task Over_3_1_1_the_connect_asks_for_level_4_and_no_message_carries_properties()
    {
        var packets = await PublishAsync(MqttProtocol.V311);

        Assert.Equal(4, packets.Connect.Level);
        Assert.Equal("online", Encoding.ASCII.GetString(packets.Online.Payload));
        Assert.Empty(packets.Online.Properties!);
        Assert.Empty(packets.Roster.Properties!);
        Assert.StartsWith("{\"node\":\"n1\",\"endpoint\":7", Encoding.UTF8.GetString(packets.Roster.Payload), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_5_a_roster_entry_says_its_content_type_and_carries_node_and_endpoint()
    {
        var packets = await PublishAsync(MqttProtocol.V5);

        Assert.Equal(5, packets.Connect.Level);
        var properties = Properties(packets.Roster.Properties!);
        Assert.Contains("payload format indicator=1", properties); // UTF-8 text
        Assert.Contains("content type=application/json", properties);
        Assert.Contains("user property node=n1", properties);
        Assert.Contains("user property endpoint=7", properties);
        Assert.Contains("content type=text/plain", Properties(packets.Online.Properties!));
    }

    /// <summary>The MQTT 5 properties the bridge may send, decoded (any other one fails the test).</summary>
    private static List<string> Properties(byte[] raw)
    {
        var decoded = new List<string>();
        var at = 0;
        string Text()
        {
            var length = (raw[at] << 8) | raw[at + 1];
            var text = Encoding.UTF8.GetString(raw, at + 2, length);
            at += 2 + length;
            return text;
        }

        while (at < raw.Length)
        {
            switch (raw[at++])
            {
                case 0x01: decoded.Add($"payload format indicator={raw[at++]}"); break;
                case 0x03: decoded.Add($"content type={Text()}"); break;
                case 0x26: decoded.Add($"user property {Text()}={Text()}"); break;
                case var other: throw new Xunit.Sdk.XunitException($"unexpected property 0x{other:x2}");
            }
        }

        return decoded;
    }

    private static async Task<(ScriptedMqttBroker.Packet Connect, ScriptedMqttBroker.Packet Online, ScriptedMqttBroker.Packet Roster)> PublishAsync(MqttProtocol protocol)
    {
        await using var broker = new ScriptedMqttBroker();
        var sink = new MqttSink(
            new MqttSinkOpts { Url = new BrokerUrl("127.0.0.1", broker.Port), ClientId = "rosterbridge-n1", Protocol = protocol },
            "n1",
            NullLogger.Instance);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var session = await sink.ConnectAsync(limit.Token);
        await session.PublishAsync(Job, limit.Token);

        var connect = await broker.NextAsync(packet => packet.Type == "CONNECT");
        var online = await broker.NextAsync(packet => packet.Topic == "vmsig/n1/bridge/status");
        var roster = await broker.NextAsync(packet => packet.Topic == "vmsig/n1/roster/7");
        return (connect, online, roster);
    }
}
