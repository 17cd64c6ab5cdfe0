using System.Text;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using RosterBridge.Config;
using RosterBridge.Mqtt.HomeAssistant;
using RosterBridge.Outbox;

namespace RosterBridge.Mqtt;

/// <summary>
/// Publishes each endpoint as a retained QoS 1 message on its own topic; a vacant endpoint is a
/// zero-length retained message, which clears the topic at the broker. MQTTnet 5 has no managed
/// client, so <see cref="SinkRunner"/> owns reconnecting: each connect is a new client in a new
/// <see cref="MqttSession"/>.
/// </summary>
internal sealed class MqttSink : RosterSink
{
    internal static readonly byte[] Online = Encoding.ASCII.GetBytes("online");
    internal static readonly byte[] Offline = Encoding.ASCII.GetBytes("offline");

    private readonly MqttSinkOpts _opts;
    private readonly MqttNodeTopics _topics;
    private readonly string _node;
    private readonly ILogger _log;
    private readonly TimeProvider _time;

    public MqttSink(MqttSinkOpts opts, string node, ILogger log, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _opts = opts;
        _node = node;
        _log = log;
        _topics = new MqttNodeTopics(opts.TopicPrefix, node);
        HomeAssistant = opts.HomeAssistant is { } homeAssistant ? new HomeAssistantDiscovery(homeAssistant, opts.TopicPrefix, node) : null;
    }

    /// <summary>Home Assistant discovery, to be fed the roster beside the sink's outbox; null when off.</summary>
    public HomeAssistantDiscovery? HomeAssistant { get; }

    public override string Name => "mqtt";

    public override string Target => _opts.Url.ToString("mqtt");

    public override async Task<BrokerSession> ConnectAsync(CancellationToken cancellationToken)
    {
        using var trust = MqttConnect.Trust(_opts, _time);
        var client = new MqttClientFactory().CreateMqttClient();
        var session = new MqttSession(client, _opts, _node, _topics, _log, HomeAssistant);
        try
        {
            var options = MqttConnect.Options(_opts, _opts.ClientId, trust)
                .WithKeepAlivePeriod(_opts.KeepAlive)
                .WithTimeout(_opts.PublishTimeout)
                .WithWillTopic(_topics.Status)
                .WithWillPayload(Offline)
                .WithWillRetain(true)
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);

            // MQTTnet may not honour the token while it waits for CONNACK from a broker that hangs.
            MqttClientConnectResult result;
            try
            {
                result = await client.ConnectAsync(options.Build(), cancellationToken).WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw MqttConnect.Explain(ex, _opts, trust);
            }

            MqttConnect.ThrowIfRefused(result, _opts);
            await session.PublishRetainedAsync(_topics.Status, Online, contentType: "text/plain", cancellationToken);
            return session;
        }
        catch
        {
            // Half a connect is no connect: the next attempt starts from nothing.
            await session.DisposeAsync();
            throw;
        }
    }
}
