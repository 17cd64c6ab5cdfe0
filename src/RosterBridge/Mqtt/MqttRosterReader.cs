using MQTTnet;
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
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(opts.Url.Host, opts.Url.Port)
            .WithProtocolVersion(MqttSink.ProtocolVersion(opts.Protocol))
            .WithClientId($"rosterbridge-reader-{Guid.NewGuid():N}")
            .WithCleanStart(true);
        if (opts.Username is not null)
        {
            options = options.WithCredentials(opts.Username, opts.Password);
        }

        await client.ConnectAsync(options.Build(), deadline.Token);
        var retained = await RetainedMessages.ReadAsync(
            client, MqttTopics.RosterFilter(opts.TopicPrefix, node), MqttTopics.Probe(opts.TopicPrefix, node), deadline.Token);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        return retained;
    }
}
