using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;
using RosterBridge.Config;

namespace RosterBridge.Mqtt;

/// <summary>Reads what a late subscriber gets: the retained roster messages under one node, and what follows them.</summary>
internal static class MqttRosterReader
{
    /// <summary>Messages received but not yet taken by the watcher; past that the client waits (nothing is dropped).</summary>
    private const int WatchBuffer = 256;

    /// <summary>Retained topic → payload, for every non-empty retained message under the node's roster (<c>+</c>: every node's).</summary>
    /// <param name="probeNode">The node whose probe topic marks the end of the retained messages; by default <paramref name="node"/> (a filter cannot be published to).</param>
    public static async Task<IReadOnlyDictionary<string, byte[]>> ReadRetainedAsync(
        MqttSinkOpts opts, string node, TimeSpan timeout, CancellationToken cancellationToken, string? probeNode = null)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await ConnectAsync(client, opts, deadline.Token);
        var retained = await RetainedMessages.ReadAsync(
            client, MqttTopics.RosterFilter(opts.TopicPrefix, node), MqttTopics.Probe(opts.TopicPrefix, probeNode ?? node), deadline.Token);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
        return retained;
    }

    /// <summary>
    /// Every message on the roster topics of <paramref name="node"/> (<c>+</c>: every node): first the
    /// retained ones, as a late subscriber gets them, then each one published after. An empty payload
    /// is a vacated endpoint. Ends with an exception when the connection is lost.
    /// </summary>
    public static async IAsyncEnumerable<(string Topic, byte[] Payload)> WatchAsync(
        MqttSinkOpts opts, string node, TimeSpan connectTimeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var received = Channel.CreateBounded<(string Topic, byte[] Payload)>(new BoundedChannelOptions(WatchBuffer) { SingleReader = true });
        client.ApplicationMessageReceivedAsync += async args =>
            await received.Writer.WriteAsync((args.ApplicationMessage.Topic, args.ApplicationMessage.Payload.ToArray()), cancellationToken);
        client.DisconnectedAsync += args =>
        {
            received.Writer.TryComplete(new IOException($"the broker closed the connection: {args.ReasonString ?? args.Reason.ToString()}"));
            return Task.CompletedTask;
        };
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(connectTimeout);
            await ConnectAsync(client, opts, deadline.Token);
            await client.SubscribeAsync(MqttTopics.RosterFilter(opts.TopicPrefix, node), MqttQualityOfServiceLevel.AtLeastOnce, deadline.Token);
        }

        await foreach (var message in received.Reader.ReadAllAsync(cancellationToken))
        {
            yield return message;
        }
    }

    /// <summary>Connects as the sink would (TLS, credentials, protocol), or throws what the failure means.</summary>
    private static async Task ConnectAsync(IMqttClient client, MqttSinkOpts opts, CancellationToken cancellationToken)
    {
        using var trust = MqttConnect.Trust(opts, TimeProvider.System);
        var options = MqttConnect.Options(opts, $"rosterbridge-reader-{Guid.NewGuid():N}", trust);
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options.Build(), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw MqttConnect.Explain(ex, opts, trust);
        }

        MqttConnect.ThrowIfRefused(result, opts);
    }
}
