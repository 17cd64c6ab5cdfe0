using System.Text;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Payload;

namespace RosterBridge.Mqtt;

/// <summary>
/// Publishes each endpoint as a retained QoS 1 message on its own topic; a vacant endpoint is a
/// zero-length retained message, which clears the topic at the broker. MQTTnet 5 has no managed
/// client, so <see cref="SinkRunner"/> owns reconnecting; this class owns one connection at a time.
/// </summary>
internal sealed class MqttSink : RosterSink
{
    private static readonly byte[] Online = Encoding.ASCII.GetBytes("online");
    private static readonly byte[] Offline = Encoding.ASCII.GetBytes("offline");

    private readonly MqttSinkOpts _opts;
    private readonly string _node;
    private readonly string[] _topics;
    private readonly string _statusTopic;
    private readonly ILogger _log;
    private IMqttClient? _client;
    private CancellationTokenSource? _connection;

    public MqttSink(MqttSinkOpts opts, string node, ILogger log)
    {
        _opts = opts;
        _node = node;
        _log = log;
        _topics = Enumerable.Range(0, Roster.RosterTable.SlotCount)
            .Select(endpoint => MqttTopics.Roster(opts.TopicPrefix, node, endpoint))
            .ToArray();
        _statusTopic = MqttTopics.Status(opts.TopicPrefix, node);
    }

    public override string Name => "mqtt";

    public override string Target => $"mqtt://{_opts.Url.Host}:{_opts.Url.Port}";

    public override async Task<CancellationToken> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_client is { IsConnected: true } && _connection is { IsCancellationRequested: false } current)
        {
            return current.Token;
        }

        await DropClientAsync();
        var client = new MqttClientFactory().CreateMqttClient();
        var connection = new CancellationTokenSource();
        client.DisconnectedAsync += args =>
        {
            if (args.ClientWasConnected)
            {
                _log.LogDebug("mqtt disconnected: {Reason}", args.ReasonString ?? args.Reason.ToString());
            }

            connection.Cancel();
            return Task.CompletedTask;
        };

        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_opts.Url.Host, _opts.Url.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(_opts.ClientId)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(_opts.KeepAlive)
            .WithTimeout(_opts.PublishTimeout)
            .WithWillTopic(_statusTopic)
            .WithWillPayload(Offline)
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (_opts.Username is not null)
        {
            options = options.WithCredentials(_opts.Username, _opts.Password);
        }

        _client = client;
        _connection = connection;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_opts.PublishTimeout);
        // MQTTnet may not honour the token while it waits for CONNACK from a broker that hangs.
        var result = await client.ConnectAsync(options.Build(), timeout.Token).WaitAsync(timeout.Token);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode} {result.ReasonString}");
        }

        await PublishRetainedAsync(_statusTopic, Online, contentType: "text/plain", timeout.Token);
        return connection.Token;
    }

    public override async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("not connected");
        Held.Clear();
        var retained = await RetainedMessages.ReadAsync(
            client, MqttTopics.RosterFilter(_opts.TopicPrefix, _node), MqttTopics.Probe(_opts.TopicPrefix, _node), cancellationToken);
        foreach (var (topic, payload) in retained)
        {
            Held.Add(topic, topic[(topic.LastIndexOf('/') + 1)..], payload);
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
        await PublishRetainedAsync(_topics[job.Endpoint], body, body.Length == 0 ? null : RosterPayload.ContentType(_opts.Format), cancellationToken);
        return true;
    }

    /// <summary>Says <c>offline</c> and disconnects cleanly (the will is not sent on a clean disconnect).</summary>
    public override async Task GoOfflineAsync(CancellationToken cancellationToken)
    {
        if (_client is { IsConnected: true })
        {
            await PublishRetainedAsync(_statusTopic, Offline, "text/plain", cancellationToken);
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), cancellationToken);
        }
    }

    public override Task DisconnectAsync() => DropClientAsync();

    public override async ValueTask DisposeAsync() => await DropClientAsync();

    private async Task PublishRetainedAsync(string topic, byte[] payload, string? contentType, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("not connected");
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (contentType is not null)
        {
            message = message.WithContentType(contentType);
        }

        var result = await client.PublishAsync(message.Build(), cancellationToken).WaitAsync(cancellationToken);
        if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
        {
            throw new InvalidOperationException($"the broker did not accept {topic}: {result.ReasonCode} {result.ReasonString}");
        }
    }

    private async Task DropClientAsync()
    {
        var client = _client;
        _client = null;
        // Cancelled, not disposed: the client's Disconnected handler may still cancel it too.
        _connection?.Cancel();
        _connection = null;
        if (client is null)
        {
            return;
        }

        try
        {
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).WaitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
        {
            // Dropping a connection that is already dead: nothing left to say to the broker.
        }
        finally
        {
            client.Dispose();
        }
    }
}
