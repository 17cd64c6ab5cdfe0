using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.Mqtt;
using RosterBridge.Tests.Peers;
using Xunit;

namespace RosterBridge.Tests.Mqtt;

/// <summary>The MQTT sink's connect against a scripted broker: every connect is a whole one.</summary>
public class MqttSinkConnectTests
{
    private static MqttSink Sink(ScriptedMqttBroker broker) => new(
        new MqttSinkOpts
        {
            Url = new BrokerUrl("127.0.0.1", broker.Port),
            ClientId = "rosterbridge-n1",
            PublishTimeout = TimeSpan.FromSeconds(1),
            KeepAlive = TimeSpan.FromSeconds(30),
        },
        "n1",
        NullLogger.Instance);

    [Fact]
    public async Task After_a_connect_whose_online_publish_timed_out_the_next_connect_is_a_new_connection_that_says_online()
    {
        // The first connection is accepted, but its "online" is never acknowledged.
        await using var broker = new ScriptedMqttBroker { AcknowledgePublish = (connection, _) => connection > 1 };
        var sink = Sink(broker);

        // Each connect with a time limit, as the runner gives it.
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await sink.ConnectAsync(limit.Token));
        }

        using var secondLimit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var session = await sink.ConnectAsync(secondLimit.Token);

        var online = await broker.NextAsync(packet => packet.Connection == 2 && packet.Type == "PUBLISH");
        Assert.Equal("vmsig/n1/bridge/status", online.Topic);
        Assert.Equal("online", Encoding.ASCII.GetString(online.Payload));
    }
}
