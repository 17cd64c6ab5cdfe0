using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using MessagePack;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>
/// A subscriber that connects after the fact, written as a user of each broker would write it
/// (independently of the bridge's code), to read what the brokers hold for one node.
/// </summary>
public static class LateSubscriber
{
    /// <summary>The retained messages under <c>vmsig/{node}/roster/+</c>, decoded as JSON.</summary>
    public static Task<RosterView> ReadMqttAsync(Uri broker, string node, CancellationToken cancellationToken = default) =>
        ReadMqttAsync(broker, node, MqttProtocolVersion.V500, cancellationToken);

    /// <summary>As <see cref="ReadMqttAsync(Uri, string, CancellationToken)"/>, with a subscriber speaking <paramref name="protocol"/> (nats-server's MQTT listener speaks 3.1.1 only).</summary>
    public static async Task<RosterView> ReadMqttAsync(Uri broker, string node, MqttProtocolVersion protocol, CancellationToken cancellationToken = default)
    {
        var prefix = $"vmsig/{node}/roster/";
        var entries = new Dictionary<int, JsonElement>();
        foreach (var (topic, payload) in await ReadRetainedAsync(broker, $"{prefix}+", protocol, cancellationToken))
        {
            using var json = JsonDocument.Parse(payload);
            entries[int.Parse(topic[prefix.Length..], CultureInfo.InvariantCulture)] = json.RootElement.Clone();
        }

        return new RosterView(entries, new HashSet<int>());
    }

    /// <summary>The retained payload of <c>vmsig/{node}/bridge/status</c> as text, or null when there is none.</summary>
    public static async Task<string?> ReadMqttStatusAsync(Uri broker, string node, CancellationToken cancellationToken = default)
    {
        var retained = await ReadRetainedAsync(broker, $"vmsig/{node}/bridge/status", cancellationToken);
        return retained.Count == 0 ? null : System.Text.Encoding.UTF8.GetString(retained.Values.Single());
    }

    /// <summary>Topic → payload of the non-empty retained messages matching <paramref name="filter"/>.</summary>
    public static Task<IReadOnlyDictionary<string, byte[]>> ReadRetainedAsync(Uri broker, string filter, CancellationToken cancellationToken = default) =>
        ReadRetainedAsync(broker, filter, MqttProtocolVersion.V500, cancellationToken);

    /// <summary>As <see cref="ReadRetainedAsync(Uri, string, CancellationToken)"/>, with a subscriber speaking <paramref name="protocol"/>.</summary>
    public static async Task<IReadOnlyDictionary<string, byte[]>> ReadRetainedAsync(
        Uri broker, string filter, MqttProtocolVersion protocol, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(broker);
        using var client = new MqttClientFactory().CreateMqttClient();
        var retained = new ConcurrentDictionary<string, byte[]>();
        var probe = $"test/probe/{Guid.NewGuid():N}";
        var probeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += args =>
        {
            var message = args.ApplicationMessage;
            if (message.Topic == probe)
            {
                probeSeen.TrySetResult();
            }
            else if (message.Retain && message.Payload.Length > 0)
            {
                retained[message.Topic] = message.Payload.ToArray();
            }

            return Task.CompletedTask;
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(
            new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithProtocolVersion(protocol).WithCleanStart(true).Build(),
            timeout.Token);
        await client.SubscribeAsync(filter, MqttQualityOfServiceLevel.AtLeastOnce, timeout.Token);

        // Retained messages come before anything published after the subscription.
        await client.SubscribeAsync(probe, MqttQualityOfServiceLevel.AtLeastOnce, timeout.Token);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(probe).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
        await probeSeen.Task.WaitAsync(timeout.Token);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        return retained;
    }

    /// <summary>
    /// The last message per subject under <c>vmsig.{node}.roster.*</c> in the stream, read with a
    /// consumer delivering the last message per subject (MessagePack decoded as JSON).
    /// </summary>
    public static async Task<RosterView> ReadNatsAsync(Uri server, string node, string stream = "VMSIG_ROSTER", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        await using var connection = new NatsConnection(new NatsOpts { Url = server.ToString() });
        var js = new NatsJSContext(connection);
        var prefix = $"vmsig.{node}.roster.";
        // A plain ephemeral consumer with one filter subject: nats-server 2.9 knows no filter lists.
        var consumer = await js.CreateOrUpdateConsumerAsync(
            stream,
            new ConsumerConfig
            {
                Name = $"late-{Guid.NewGuid():N}",
                FilterSubject = $"{prefix}*",
                DeliverPolicy = ConsumerConfigDeliverPolicy.LastPerSubject,
                AckPolicy = ConsumerConfigAckPolicy.None,
                InactiveThreshold = TimeSpan.FromSeconds(30),
            },
            cancellationToken);

        var entries = new Dictionary<int, JsonElement>();
        var deleted = new HashSet<int>();
        await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 1000 }, cancellationToken: cancellationToken))
        {
            if (!msg.Subject.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var endpoint = int.Parse(msg.Subject[prefix.Length..], CultureInfo.InvariantCulture);
            if (msg.Headers is { } headers && headers.TryGetValue("KV-Operation", out var operation) && operation.ToString() is "DEL" or "PURGE")
            {
                deleted.Add(endpoint);
                entries.Remove(endpoint);
            }
            else
            {
                using var json = JsonDocument.Parse(MessagePackSerializer.ConvertToJson(msg.Data ?? [], cancellationToken: cancellationToken));
                entries[endpoint] = json.RootElement.Clone();
                deleted.Remove(endpoint);
            }
        }

        return new RosterView(entries, deleted);
    }
}
