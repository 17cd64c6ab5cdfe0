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
            foreach (var topic in filters.Append(probeTopic))
            {
                var subscribed = await client.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
                if (subscribed.Items.FirstOrDefault() is { ResultCode: not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2) } refused)
                {
                    throw new Outbox.BrokerDeniedException($"the broker does not allow subscribing to {topic} ({refused.ResultCode}): check its ACL for this user");
                }
            }

            var probe = await client.PublishAsync(
                new MqttApplicationMessageBuilder().WithTopic(probeTopic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
                cancellationToken);
            if (probe.ReasonCode is MqttClientPublishReasonCode.NotAuthorized)
            {
                throw new Outbox.BrokerDeniedException($"the broker does not allow publishing to {probeTopic} (NotAuthorized): check its ACL for this user");
            }

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
