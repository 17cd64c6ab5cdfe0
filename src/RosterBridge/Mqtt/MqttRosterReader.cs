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
        using var trust = MqttConnect.Trust(opts, TimeProvider.System);
        var options = MqttConnect.Options(opts, $"rosterbridge-reader-{Guid.NewGuid():N}", trust);
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options.Build(), deadline.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw MqttConnect.Explain(ex, opts, trust);
        }

        MqttConnect.ThrowIfRefused(result, opts);
        var retained = await RetainedMessages.ReadAsync(
            client, MqttTopics.RosterFilter(opts.TopicPrefix, node), MqttTopics.Probe(opts.TopicPrefix, node), deadline.Token);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        return retained;
    }
}
