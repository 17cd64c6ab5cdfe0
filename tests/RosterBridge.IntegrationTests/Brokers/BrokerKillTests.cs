using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.IntegrationTests.Support;
using Xunit;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// The fault helpers the chaos campaign relies on: SIGKILL then start keeps what the broker had
/// on disk; a recreated broker has nothing; the URL stays the same across both.
/// </summary>
public sealed class BrokerKillTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Mosquitto_with_persistence_killed_with_SIGKILL_comes_back_with_what_it_saved()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var mosquitto = new PersistentMosquittoContainer();
        await mosquitto.InitializeAsync();
        var url = mosquitto.Url;
        var topic = $"kill/{Guid.NewGuid():N}";
        await PublishRetainedAsync(mosquitto, topic, "saved", cts.Token);
        var savesBefore = await SavesAsync(mosquitto, cts.Token);
        await Retry.Until(async () => await SavesAsync(mosquitto, cts.Token) > savesBefore, Timeout, "an autosave after the publish");

        await mosquitto.KillAsync(cts.Token);
        Assert.DoesNotContain("terminating", await mosquitto.GetLogsAsync(cts.Token), StringComparison.Ordinal); // no clean shutdown
        await mosquitto.StartAsync(cts.Token);

        Assert.Equal(url, mosquitto.Url);
        var retained = await LateSubscriber.ReadRetainedAsync(mosquitto.Url, topic, cts.Token);
        Assert.Equal("saved", Encoding.UTF8.GetString(retained[topic]));
    }

    [Fact]
    public async Task A_recreated_mosquitto_holds_nothing_on_the_same_url()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var mosquitto = new PersistentMosquittoContainer();
        await mosquitto.InitializeAsync();
        var url = mosquitto.Url;
        var topic = $"recreate/{Guid.NewGuid():N}";
        await PublishRetainedAsync(mosquitto, topic, "gone", cts.Token);
        await mosquitto.StopAsync(cts.Token); // a clean stop saves it: only a new container loses it

        await mosquitto.RecreateAsync(cts.Token);

        Assert.Equal(url, mosquitto.Url);
        Assert.Empty(await LateSubscriber.ReadRetainedAsync(mosquitto.Url, topic, cts.Token));
    }

    [Fact]
    public async Task Nats_killed_with_SIGKILL_keeps_its_stream_and_a_recreated_one_has_none()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var nats = new NatsContainer();
        await nats.InitializeAsync();
        var url = nats.Url;
        var stream = $"KILL_{Guid.NewGuid():N}";
        await using (var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() }))
        {
            var js = new NatsJSContext(connection);
            await js.CreateStreamAsync(new StreamConfig(stream, [$"kill.{stream}"]) { Storage = StreamConfigStorage.File }, cts.Token);
            (await js.PublishAsync($"kill.{stream}", "kept", cancellationToken: cts.Token)).EnsureSuccess();
        }

        await nats.KillAsync(cts.Token);
        await nats.StartAsync(cts.Token);
        Assert.Equal(url, nats.Url);
        Assert.Equal(1, await MessagesAsync(nats, stream, cts.Token));

        await nats.RecreateAsync(cts.Token);
        Assert.Equal(url, nats.Url);
        Assert.Null(await MessagesAsync(nats, stream, cts.Token));
    }

    /// <summary>How many times the broker has logged saving its database so far.</summary>
    private static async Task<int> SavesAsync(MosquittoContainer broker, CancellationToken cancellationToken)
    {
        var log = await broker.GetLogsAsync(cancellationToken);
        return log.Split('\n').Count(line => line.Contains("Saving in-memory database", StringComparison.Ordinal));
    }

    /// <summary>The stream's message count, or null when the server has no such stream.</summary>
    private static async Task<long?> MessagesAsync(NatsContainer nats, string stream, CancellationToken cancellationToken)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() });
        var js = new NatsJSContext(connection);
        long? messages = null;

        // Right after a start JetStream may still be recovering its store: retry until it answers.
        await Retry.Until(async () =>
        {
            try
            {
                messages = (await js.GetStreamAsync(stream, cancellationToken: cancellationToken)).Info.State.Messages;
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
                messages = null;
            }

            return true;
        }, Timeout, "JetStream answers about the stream");
        return messages;
    }

    private static async Task PublishRetainedAsync(MosquittoContainer broker, string topic, string payload, CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(
            new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithProtocolVersion(MqttProtocolVersion.V500).Build(),
            cancellationToken);
        var result = await client.PublishAsync(
            new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag()
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            cancellationToken);
        Assert.True(result.IsSuccess, $"publish failed: {result.ReasonCode}");
        await client.DisconnectAsync(cancellationToken: cancellationToken);
    }
}
