using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace RosterBridge.Load;

/// <summary>
/// MQTT: subscribed (QoS 1) to <c>vmsig/&lt;node&gt;/roster/+</c> and to the probe topic; probes are
/// published as the bridge publishes: QoS 1, retained, from a client of their own.
/// </summary>
internal sealed class MqttLive : ILiveSubscriber
{
    private readonly IMqttClient _subscriber;
    private readonly IMqttClient _publisher;
    private readonly string _rosterPrefix;
    private readonly string _probeTopic;
    private readonly LatencyBook _book;
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _barriers = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private long _nextBarrier;

    private MqttLive(IMqttClient subscriber, IMqttClient publisher, string node, LatencyBook book)
    {
        _subscriber = subscriber;
        _publisher = publisher;
        _book = book;
        _rosterPrefix = Wire.MqttRosterPrefix(node);
        _probeTopic = Wire.MqttProbeTopic(node);
        View = new RosterView(Broker);
    }

    public string Broker => "MQTT";

    public RosterView View { get; }

    public IReadOnlyList<string> Errors => [.. _errors];

    public static async Task<MqttLive> ConnectAsync(int port, string node, LatencyBook book, CancellationToken cancellationToken)
    {
        var factory = new MqttClientFactory();
        var live = new MqttLive(factory.CreateMqttClient(), factory.CreateMqttClient(), node, book);
        try
        {
            live._subscriber.ApplicationMessageReceivedAsync += live.OnMessageAsync;
            await live._subscriber.ConnectAsync(Options(port, $"load-sub-{node}"), cancellationToken);
            var subscribe = new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(filter => filter.WithTopic(live._rosterPrefix + "+").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
                .WithTopicFilter(filter => filter.WithTopic(live._probeTopic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
                .Build();
            await live._subscriber.SubscribeAsync(subscribe, cancellationToken);
            await live._publisher.ConnectAsync(Options(port, $"load-probe-{node}"), cancellationToken);
            return live;
        }
        catch
        {
            await live.DisposeAsync();
            throw;
        }
    }

    public async Task BarrierAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextBarrier);
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _barriers[id] = seen;
        try
        {
            var body = new byte[sizeof(long)];
            BinaryPrimitives.WriteInt64LittleEndian(body, id);
            await _subscriber.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(_rosterPrefix + Wire.BarrierLevel)
                .WithPayload(body)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(), cancellationToken);
            await seen.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new LoadException($"MQTT: the barrier did not come back within {timeout.TotalSeconds:F0} s");
        }
        finally
        {
            _barriers.TryRemove(id, out _);
        }
    }

    /// <summary>Barriers are not retained: nothing stays.</summary>
    public Task<string?> BarrierLeftoversAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public async Task ProbeAsync(long id, LatencyBook book, CancellationToken cancellationToken)
    {
        var body = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(body, id);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_probeTopic)
            .WithPayload(body)
            .WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();
        book.ProbeSent(id, Stopwatch.GetTimestamp());
        var result = await _publisher.PublishAsync(message, cancellationToken);
        if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
        {
            throw new LoadException($"MQTT: the probe publish was refused: {result.ReasonCode}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in new[] { _subscriber, _publisher })
        {
            try
            {
                if (client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationException)
            {
                // the broker is gone already
            }
            finally
            {
                client.Dispose();
            }
        }
    }

    private static MqttClientOptions Options(int port, string clientId) => new MqttClientOptionsBuilder()
        .WithTcpServer("127.0.0.1", port)
        .WithProtocolVersion(MqttProtocolVersion.V500)
        .WithClientId(clientId)
        .WithCleanStart(true)
        .WithTimeout(TimeSpan.FromSeconds(10))
        .Build();

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs args)
    {
        var at = Stopwatch.GetTimestamp();
        var message = args.ApplicationMessage;
        var topic = message.Topic;
        try
        {
            if (topic.StartsWith(_rosterPrefix, StringComparison.Ordinal))
            {
                var level = topic.AsSpan(_rosterPrefix.Length);
                if (level.SequenceEqual(Wire.BarrierLevel))
                {
                    if (_barriers.TryGetValue(ReadId(message.Payload), out var seen))
                    {
                        seen.TrySetResult();
                    }

                    return Task.CompletedTask;
                }

                var endpoint = Wire.Endpoint(level);
                if (endpoint < 0)
                {
                    _errors.Enqueue($"MQTT: a message on {topic}, which is no endpoint");
                    return Task.CompletedTask;
                }

                var entry = message.Payload.IsEmpty ? RosterEntry.Vacant : Payloads.FromJson(message.Payload);
                View.Apply(endpoint, entry, at);
                if (entry.Occupied)
                {
                    _book.EventReceived(Broker, entry.Seq, at);
                }
            }
            else if (topic == _probeTopic && message.Payload.Length == sizeof(long))
            {
                _book.ProbeReceived(Broker, ReadId(message.Payload), at);
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            _errors.Enqueue($"MQTT: {topic}: undecodable payload: {ex.Message}");
        }

        return Task.CompletedTask;
    }

    private static long ReadId(in ReadOnlySequence<byte> payload)
    {
        Span<byte> id = stackalloc byte[sizeof(long)];
        if (payload.Length != sizeof(long))
        {
            return -1;
        }

        payload.CopyTo(id);
        return BinaryPrimitives.ReadInt64LittleEndian(id);
    }
}
