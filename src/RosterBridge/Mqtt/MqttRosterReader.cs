using System.Buffers;
using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using RosterBridge.Config;

namespace RosterBridge.Mqtt;

/// <summary>Reads what a late subscriber gets: the retained roster messages under one node.</summary>
internal static class MqttRosterReader
{
    /// <summary>Retained topic → payload, for every non-empty retained message under the node's roster.</summary>
    public static async Task<IReadOnlyDictionary<string, byte[]>> ReadRetainedAsync(
        MqttSinkOpts opts, string node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var retained = new ConcurrentDictionary<string, byte[]>();
        var probeTopic = $"{opts.TopicPrefix}/{node}/bridge/probe/{Guid.NewGuid():N}";
        var probeSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += args =>
        {
            var message = args.ApplicationMessage;
            if (message.Topic == probeTopic)
            {
                probeSeen.TrySetResult();
            }
            else if (message.Retain && message.Payload.Length > 0)
            {
                retained[message.Topic] = message.Payload.ToArray();
            }

            return Task.CompletedTask;
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(opts.Url.Host, opts.Url.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId($"rosterbridge-reader-{Guid.NewGuid():N}")
            .WithCleanStart(true);
        if (opts.Username is not null)
        {
            options = options.WithCredentials(opts.Username, opts.Password);
        }

        await client.ConnectAsync(options.Build(), deadline.Token);
        await client.SubscribeAsync(MqttTopics.RosterFilter(opts.TopicPrefix, node), MqttQualityOfServiceLevel.AtLeastOnce, deadline.Token);

        // MQTT has no "end of retained messages". The broker sends a subscription's retained
        // messages before anything published after it, so a message of our own, published after
        // the subscription, arrives after the last of them.
        await client.SubscribeAsync(probeTopic, MqttQualityOfServiceLevel.AtLeastOnce, deadline.Token);
        await client.PublishAsync(
            new MqttApplicationMessageBuilder().WithTopic(probeTopic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            deadline.Token);
        await probeSeen.Task.WaitAsync(deadline.Token);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        return new SortedDictionary<string, byte[]>(retained, StringComparer.Ordinal);
    }
}
