using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using RosterBridge.Config;
using RosterBridge.Mqtt.HomeAssistant;
using RosterBridge.Outbox;
using RosterBridge.Payload;

namespace RosterBridge.Mqtt;

/// <summary>One MQTT connection: its own client, from connect to drop.</summary>
internal sealed class MqttSession : BrokerSession
{
    private static readonly TimeSpan DisconnectTimeout = TimeSpan.FromSeconds(2);

    private readonly IMqttClient _client;
    private readonly MqttSinkOpts _opts;
    private readonly string _node;
    private readonly MqttNodeTopics _topics;
    private readonly ILogger _log;
    private readonly HomeAssistantSession? _homeAssistant;
    private readonly string[] _readBackFilters;

    // Never disposed: the client's Disconnected handler may cancel it at any time, even while
    // the session is being dropped; a source without timers holds nothing to release.
    private readonly CancellationTokenSource _lost = new();
    private int _disposed;

    public MqttSession(IMqttClient client, MqttSinkOpts opts, string node, MqttNodeTopics topics, ILogger log, HomeAssistantDiscovery? homeAssistant = null)
    {
        _client = client;
        _opts = opts;
        _node = node;
        _topics = topics;
        _log = log;
        _homeAssistant = homeAssistant is null ? null : new HomeAssistantSession(homeAssistant, (topic, payload, contentType, token) => PublishRetainedAsync(topic, payload, contentType, token), OnHomeAssistantFailed, opts.PublishTimeout, log);
        _readBackFilters = _homeAssistant is null ? [topics.RosterFilter] : [topics.RosterFilter, _homeAssistant.Filter];
        client.DisconnectedAsync += OnDisconnectedAsync;
    }

    public override CancellationToken Lost => _lost.Token;

    public override async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        Held.Clear();
        if (_homeAssistant is not null)
        {
            // Discovery's publisher waits while the broker is read back, and goes on from what it holds.
            await _homeAssistant.BeginReadBackAsync(_client, cancellationToken);
        }

        Dictionary<string, byte[]>? configs = null;
        try
        {
            var retained = await RetainedMessages.ReadAsync(_client, _readBackFilters, _topics.Probe, cancellationToken);
            configs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (topic, payload) in retained)
            {
                if (_homeAssistant?.IsConfig(topic) == true)
                {
                    configs[topic] = payload;
                }
                else
                {
                    Held.Add(topic, topic[(topic.LastIndexOf('/') + 1)..], payload);
                }
            }
        }
        finally
        {
            _homeAssistant?.EndReadBack(configs, _lost.Token);
        }

        foreach (var stray in Held.Strays)
        {
            _log.LogWarning("mqtt: clearing {Topic}: retained under this node's roster, but no endpoint", stray);
            await PublishRetainedAsync(stray, [], contentType: null, cancellationToken);
        }
    }

    public override async Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken)
    {
        var body = Body(job, _opts.Format, _node);
        if (BrokerHolds(job, body))
        {
            return false;
        }

        // An empty retained message is MQTT's way to remove the topic's retained entry.
        await PublishRetainedAsync(_topics.Roster[job.Endpoint], body, body.Length == 0 ? null : RosterPayload.ContentType(_opts.Format), cancellationToken, job.Endpoint);
        return true;
    }

    /// <summary>Says <c>offline</c> and disconnects cleanly (the will is not sent on a clean disconnect).</summary>
    public override async Task GoOfflineAsync(CancellationToken cancellationToken)
    {
        await PublishRetainedAsync(_topics.Status, MqttSink.Offline, "text/plain", cancellationToken);
        await _client.DisconnectAsync(new MqttClientDisconnectOptions(), cancellationToken).WaitAsync(cancellationToken);
    }

    /// <param name="endpoint">For a roster entry: its endpoint, a user property (MQTT 5) beside the node.</param>
    public async Task PublishRetainedAsync(string topic, byte[] payload, string? contentType, CancellationToken cancellationToken, int? endpoint = null)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);

        // MQTT 3.1.1 has no properties: a 3.1.1 broker would refuse the packet (or the client would).
        if (contentType is not null && _opts.Protocol == MqttProtocol.V5)
        {
            message = message
                .WithContentType(contentType)
                .WithPayloadFormatIndicator(contentType == RosterPayload.ContentType(PayloadFormat.MessagePack)
                    ? MqttPayloadFormatIndicator.Unspecified
                    : MqttPayloadFormatIndicator.CharacterData)
                .WithUserProperty("node", System.Text.Encoding.UTF8.GetBytes(_node));
            if (endpoint is { } slot)
            {
                message = message.WithUserProperty("endpoint", System.Text.Encoding.ASCII.GetBytes(slot.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        }

        var result = await _client.PublishAsync(message.Build(), cancellationToken).WaitAsync(cancellationToken);
        if (result.ReasonCode is MqttClientPublishReasonCode.NotAuthorized or MqttClientPublishReasonCode.TopicNameInvalid)
        {
            throw new BrokerDeniedException($"the broker does not allow publishing to {topic} ({result.ReasonCode}): check its ACL for this user");
        }

        if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
        {
            throw new InvalidOperationException($"the broker did not accept {topic}: {result.ReasonCode} {result.ReasonString}");
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _client.DisconnectedAsync -= OnDisconnectedAsync;
        _homeAssistant?.Detach(_client);
        _lost.Cancel();
        try
        {
            if (_client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(DisconnectTimeout);
                await _client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).WaitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            // Dropping a connection that is already dead: nothing left to say to the broker.
        }
        finally
        {
            _client.Dispose();
            _homeAssistant?.Dispose();
        }
    }

    private void OnHomeAssistantFailed(Exception ex)
    {
        _log.LogWarning("mqtt: publishing Home Assistant discovery failed: {Error}; reconnecting", ex.Message);
        _lost.Cancel();
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs args)
    {
        if (args.ClientWasConnected)
        {
            _log.LogDebug("mqtt disconnected: {Reason}", args.ReasonString ?? args.Reason.ToString());
        }

        _lost.Cancel();
        return Task.CompletedTask;
    }
}
