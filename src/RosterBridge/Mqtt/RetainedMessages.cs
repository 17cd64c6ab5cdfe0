using System.Buffers;
using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Protocol;

namespace RosterBridge.Mqtt;

/// <summary>Reads the retained messages under a topic filter with an already connected client.</summary>
internal static class RetainedMessages
{
    /// <summary>Topic → payload of every non-empty retained message matching <paramref name="filter"/>.</summary>
    public static Task<IReadOnlyDictionary<string, byte[]>> ReadAsync(
        IMqttClient client, string filter, string probeTopic, CancellationToken cancellationToken) =>
        ReadAsync(client, [filter], probeTopic, cancellationToken);

    /// <summary>Topic → payload of every non-empty retained message matching one of <paramref name="filters"/>.</summary>
    /// <remarks>
    /// MQTT has no "end of retained messages". A broker sends a subscription's retained messages
    /// before anything published after the subscription, so a message of our own on
    /// <paramref name="probeTopic"/>, published after subscribing, arrives after the last of them.
    /// </remarks>
    public static async Task<IReadOnlyDictionary<string, byte[]>> ReadAsync(
        IMqttClient client, IReadOnlyList<string> filters, string probeTopic, CancellationToken cancellationToken)
    {
        var retained = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);
        var probeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task OnMessage(MqttApplicationMessageReceivedEventArgs args)
        {
            var message = args.ApplicationMessage;
            if (message.Topic == probeTopic)
            {
                probeSeen.TrySetResult();
            }
            // Only what the filters ask for: the client may be subscribed to other topics too.
            else if (message.Retain && message.Payload.Length > 0 && filters.Any(filter => Matches(message.Topic, filter)))
            {
                retained[message.Topic] = message.Payload.ToArray();
            }

            return Task.CompletedTask;
        }

        client.ApplicationMessageReceivedAsync += OnMessage;
        try
        {
            foreach (var filter in filters)
            {
                await client.SubscribeAsync(filter, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
            }

            await client.SubscribeAsync(probeTopic, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
            await client.PublishAsync(
                new MqttApplicationMessageBuilder().WithTopic(probeTopic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cancellationToken);
            await probeSeen.Task.WaitAsync(cancellationToken);
            var unsubscribe = new MqttClientUnsubscribeOptionsBuilder().WithTopicFilter(probeTopic);
            foreach (var filter in filters)
            {
                unsubscribe = unsubscribe.WithTopicFilter(filter);
            }

            await client.UnsubscribeAsync(unsubscribe.Build(), cancellationToken);
        }
        finally
        {
            client.ApplicationMessageReceivedAsync -= OnMessage;
        }

        return retained;
    }

    public static bool Matches(string topic, string filter) =>
        MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch;
}
