using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using RosterBridge.Payload;

namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>
/// Home Assistant discovery on one MQTT connection. The session's read-back tells it which of this
/// node's configs the broker holds; from then on a publisher of its own publishes what differs from
/// the desired configs (one message at a time, each under the publish time limit) whenever the
/// roster, a leaving VM's grace or a birth message asks for it, until the connection is dropped.
/// A publish that fails ends the connection, as a failed roster publish does.
/// </summary>
internal sealed class HomeAssistantSession : IDisposable
{
    private readonly HomeAssistantDiscovery _discovery;
    private readonly Func<string, byte[], string?, CancellationToken, Task> _publish;
    private readonly Action<Exception> _failed;
    private readonly TimeSpan _publishTimeout;
    private readonly ILogger _log;

    // Held by the read-back, and by the publisher for one message at a time: a read-back never
    // overlaps a discovery publish, and waits for at most one.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, byte[]>? _held;
    private long _readBacks;
    private bool _subscribed;
    private bool _reported;
    private Task? _publisher;

    /// <param name="publish">Publishes one retained message on the session's connection (topic, payload, content type).</param>
    /// <param name="failed">Told when a publish failed: the connection is as good as lost.</param>
    public HomeAssistantSession(HomeAssistantDiscovery discovery, Func<string, byte[], string?, CancellationToken, Task> publish,
        Action<Exception> failed, TimeSpan publishTimeout, ILogger log)
    {
        _discovery = discovery;
        _publish = publish;
        _failed = failed;
        _publishTimeout = publishTimeout;
        _log = log;
    }

    /// <summary>The filter the read-back subscribes to for this node's configs.</summary>
    public string Filter => _discovery.Topics.Filter;

    /// <summary>
    /// Before the read-back: subscribes to Home Assistant's birth messages (first time only), then
    /// holds the publisher back until <see cref="EndReadBack"/>.
    /// </summary>
    public async Task BeginReadBackAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        if (!_subscribed)
        {
            client.ApplicationMessageReceivedAsync += OnMessageAsync;
            await client.SubscribeAsync(_discovery.Topics.Birth, MqttQualityOfServiceLevel.AtLeastOnce, cancellationToken);
            _subscribed = true;
        }

        await _gate.WaitAsync(cancellationToken);
    }

    /// <summary>True when the read-back's <paramref name="topic"/> is one of this node's discovery configs.</summary>
    public bool IsConfig(string topic) => RetainedMessages.Matches(topic, Filter);

    /// <summary>
    /// After the read-back (or its failure: then <paramref name="held"/> is null and nothing changes):
    /// what the broker holds of this node's configs, and lets the publisher go on, started the first time.
    /// </summary>
    public void EndReadBack(IReadOnlyDictionary<string, byte[]>? held, CancellationToken lost)
    {
        if (held is not null)
        {
            _held = new Dictionary<string, byte[]>(held, StringComparer.Ordinal);
            _readBacks++;
        }

        _gate.Release();
        if (held is not null)
        {
            _publisher ??= Task.Run(() => RunAsync(lost), CancellationToken.None);
            _discovery.Wake();
        }
    }

    /// <summary>Stops listening to birth messages; the publisher ends with the connection's token.</summary>
    public void Detach(IMqttClient client) => client.ApplicationMessageReceivedAsync -= OnMessageAsync;

    /// <summary>After the connection's token was cancelled: a publisher still inside a call ends on it.</summary>
    public void Dispose() => _gate.Dispose();

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs args)
    {
        // A retained "online" arrives at every subscription and says nothing new: only a live one is a (re)start.
        var message = args.ApplicationMessage;
        if (message.Topic == _discovery.Topics.Birth && !message.Retain && message.ConvertPayloadToString() == "online")
        {
            _log.LogDebug("home assistant: birth message on {Topic}", message.Topic);
            _discovery.OnBirth();
        }

        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken lost)
    {
        try
        {
            while (!lost.IsCancellationRequested)
            {
                await PublishRoundAsync(lost);
                await _discovery.WaitAsync(_discovery.UntilDue(), lost);
            }
        }
        catch (Exception) when (lost.IsCancellationRequested)
        {
            // the connection is gone; the next one reads back and publishes what is left
        }
        catch (Exception ex)
        {
            _failed(ex);
        }
    }

    /// <summary>Publishes what differs between the desired configs and what the broker holds; a read-back meanwhile starts it over.</summary>
    private async Task PublishRoundAsync(CancellationToken lost)
    {
        List<DiscoveryPublish> plan;
        long readBack;
        bool republish;
        await _gate.WaitAsync(lost);
        try
        {
            if (_held is null || _discovery.Desired() is not { } desired)
            {
                return;
            }

            republish = _discovery.Births.TryTake();
            plan = DiscoveryPlan.Compute(desired, _held, republish);
            readBack = _readBacks;
        }
        finally
        {
            _gate.Release();
        }

        if (republish)
        {
            _discovery.Counters.OnRepublish();
        }

        foreach (var item in plan)
        {
            await _gate.WaitAsync(lost);
            try
            {
                if (_readBacks != readBack)
                {
                    if (republish)
                    {
                        _discovery.Births.Untake();
                    }

                    _discovery.Wake();
                    return;
                }

                await PublishAsync(item, lost);
                if (item.IsClear)
                {
                    _held!.Remove(item.Topic);
                }
                else
                {
                    _held![item.Topic] = item.Payload;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        if (plan.Count > 0 || !_reported)
        {
            _log.Log(_reported ? LogLevel.Debug : LogLevel.Information,
                "home assistant: {Vms} VMs discovered under {Filter}; published {Published} configs, cleared {Cleared}{Why}",
                _held!.Count - 1, Filter, plan.Count(item => !item.IsClear), plan.Count(item => item.IsClear), republish ? " (Home Assistant restarted)" : "");
            _reported = true;
        }
    }

    private async Task PublishAsync(DiscoveryPublish item, CancellationToken lost)
    {
        using var limit = new CancellationTokenSource(_publishTimeout, _discovery.Time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(lost, limit.Token);
        try
        {
            await _publish(item.Topic, item.Payload, item.IsClear ? null : RosterPayload.JsonContentType, either.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !lost.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer within {_publishTimeout.TotalSeconds:F0} s to the publish of {item.Topic}");
        }

        _discovery.Counters.OnPublished(item.IsClear);
    }
}
