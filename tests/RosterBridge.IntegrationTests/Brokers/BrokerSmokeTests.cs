using MQTTnet;
using MQTTnet.Protocol;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.IntegrationTests.Support;
using Xunit;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>Proves the broker fixtures give real, working brokers.</summary>
public sealed class BrokerSmokeTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;

    public BrokerSmokeTests(MosquittoContainer mosquitto, NatsContainer nats)
    {
        _mosquitto = mosquitto;
        _nats = nats;
    }

    [Fact]
    public async Task Mosquitto_delivers_a_retained_message_to_a_later_subscriber()
    {
        using var cts = new CancellationTokenSource(Timeout);
        var topic = $"smoke/{Guid.NewGuid():N}/retained";
        var factory = new MqttClientFactory();

        using (var publisher = factory.CreateMqttClient())
        {
            await publisher.ConnectAsync(ClientOptions(_mosquitto, "smoke-publisher"), cts.Token);
            var published = await publisher.PublishAsync(
                new MqttApplicationMessageBuilder()
                    .WithTopic(topic)
                    .WithPayload("roster-v1")
                    .WithRetainFlag()
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build(),
                cts.Token);
            Assert.True(published.IsSuccess, $"publish failed: {published.ReasonCode}");
            await publisher.DisconnectAsync(cancellationToken: cts.Token);
        }

        using var subscriber = factory.CreateMqttClient();
        var received = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(ClientOptions(_mosquitto, "smoke-subscriber"), cts.Token);
        await subscriber.SubscribeAsync(
            factory.CreateSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            cts.Token);

        var message = await received.Task.WaitAsync(cts.Token);
        Assert.Equal(topic, message.Topic);
        Assert.True(message.Retain);
        Assert.Equal("roster-v1", message.ConvertPayloadToString());
    }

    [Fact]
    public async Task Nats_stream_with_one_message_per_subject_keeps_only_the_last()
    {
        using var cts = new CancellationTokenSource(Timeout);
        await using var connection = new NatsConnection(new NatsOpts { Url = _nats.Url.ToString() });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        var streamName = $"SMOKE_{Guid.NewGuid():N}";
        var subject = $"smoke.{streamName}.vm-1";

        var stream = await js.CreateStreamAsync(
            new StreamConfig(streamName, [$"smoke.{streamName}.>"]) { MaxMsgsPerSubject = 1 },
            cts.Token);
        (await js.PublishAsync(subject, "first", cancellationToken: cts.Token)).EnsureSuccess();
        var second = await js.PublishAsync(subject, "second", cancellationToken: cts.Token);
        second.EnsureSuccess();

        await stream.RefreshAsync(cts.Token);
        Assert.Equal(1, stream.Info.State.Messages);
        var last = await stream.GetAsync(new StreamMsgGetRequest { LastBySubj = subject }, cts.Token);
        Assert.Equal(second.Seq, last.Message.Seq);
        Assert.Equal("second", System.Text.Encoding.UTF8.GetString(last.Message.Data.Span));
    }

    [Fact]
    public async Task Mosquitto_restart_keeps_the_url_and_the_broker_answers_again()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var mosquitto = new MosquittoContainer();
        await mosquitto.InitializeAsync();
        var urlBefore = mosquitto.Url;
        var topic = $"smoke/{Guid.NewGuid():N}/restart";
        var factory = new MqttClientFactory();

        using (var client = factory.CreateMqttClient())
        {
            await client.ConnectAsync(ClientOptions(mosquitto, "smoke-before-restart"), cts.Token);
            await client.PublishAsync(
                new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("before").WithRetainFlag()
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cts.Token);
            await client.DisconnectAsync(cancellationToken: cts.Token);
        }

        await mosquitto.StopAsync(cts.Token);
        Assert.False(await CanConnectAsync(mosquitto, cts.Token), "a client could connect to a stopped broker");

        await mosquitto.StartAsync(cts.Token);
        Assert.Equal(urlBefore, mosquitto.Url);
        Assert.Equal(urlBefore.Port, mosquitto.Container.GetMappedPublicPort(MosquittoContainer.MqttPort));
        await Retry.Until(() => CanConnectAsync(mosquitto, cts.Token), Timeout, "MQTT CONNACK from the restarted broker");

        // A new broker process (no persistence): the retained message is gone, so the first
        // message a new subscriber gets is the one published after the restart.
        using var subscriber = factory.CreateMqttClient();
        var received = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(ClientOptions(mosquitto, "smoke-after-restart"), cts.Token);
        await subscriber.SubscribeAsync(
            factory.CreateSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            cts.Token);
        await subscriber.PublishAsync(
            new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("after")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            cts.Token);
        var first = await received.Task.WaitAsync(cts.Token);
        Assert.Equal("after", first.ConvertPayloadToString());
        Assert.False(first.Retain);
    }

    [Fact]
    public async Task Paused_mosquitto_does_not_answer_until_unpaused()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var mosquitto = new MosquittoContainer();
        await mosquitto.InitializeAsync();
        Assert.True(await CanConnectAsync(mosquitto, cts.Token), "the broker did not answer before the pause");

        await mosquitto.PauseAsync(cts.Token);
        Assert.False(await CanConnectAsync(mosquitto, cts.Token), "a paused broker answered a CONNECT");

        await mosquitto.UnpauseAsync(cts.Token);
        await Retry.Until(() => CanConnectAsync(mosquitto, cts.Token), Timeout, "MQTT CONNACK from the unpaused broker");
    }

    private static MqttClientOptions ClientOptions(MosquittoContainer broker, string clientId) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId($"{clientId}-{Guid.NewGuid():N}")
            .WithTimeout(TimeSpan.FromSeconds(2))
            .Build();

    /// <summary>True if an MQTT client gets a CONNACK within 3 s.</summary>
    private static async Task<bool> CanConnectAsync(MosquittoContainer broker, CancellationToken cancellationToken)
    {
        // MQTTnet's own timeout does not bound the wait for CONNACK from a frozen broker.
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(3));
        using var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            var result = await client.ConnectAsync(ClientOptions(broker, "smoke-probe"), attempt.Token);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                return false;
            }

            await client.DisconnectAsync(cancellationToken: attempt.Token);
            return true;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested
            && ex is MQTTnet.Exceptions.MqttCommunicationException or MQTTnet.Adapter.MqttConnectingFailedException or OperationCanceledException)
        {
            return false;
        }
    }
}
