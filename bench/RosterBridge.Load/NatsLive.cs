using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace RosterBridge.Load;

/// <summary>
/// NATS: a core subscription to <c>vmsig.&lt;node&gt;.roster.*</c> (JetStream publishes reach core
/// subscribers too) and one to the probe subject; probes are JetStream publishes, as the bridge
/// makes them, into a test stream, from a connection of their own.
/// </summary>
internal sealed class NatsLive : ILiveSubscriber
{
    /// <summary>A stream name no stream has: JetStream refuses to store a barrier that expects it.</summary>
    private const string NoSuchStream = "VMSIGLOAD_NO_SUCH_STREAM";

    /// <summary>The bridge's stream (its default Nats:Stream).</summary>
    private const string BridgeStream = "VMSIG_ROSTER";

    private readonly NatsConnection _subscriber;
    private readonly NatsConnection _publisher;
    private readonly NatsJSContext _js;
    private readonly string _rosterPrefix;
    private readonly string _probeSubject;
    private readonly LatencyBook _book;
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _barriers = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _nextBarrier;

    private NatsLive(int port, string node, LatencyBook book)
    {
        var url = $"nats://127.0.0.1:{port}";
        // A live subscriber that falls behind must wait, not drop (the default): it counts messages.
        _subscriber = new NatsConnection(new NatsOpts
        {
            Url = url,
            Name = $"load-sub-{node}",
            SubPendingChannelCapacity = 1 << 16,
            SubPendingChannelFullMode = BoundedChannelFullMode.Wait,
        });
        _publisher = new NatsConnection(new NatsOpts { Url = url, Name = $"load-probe-{node}" });
        _js = new NatsJSContext(_publisher);
        _book = book;
        _rosterPrefix = Wire.NatsRosterPrefix(node);
        _probeSubject = Wire.NatsProbeSubject(node);
        View = new RosterView(Broker);
    }

    public string Broker => "NATS";

    public RosterView View { get; }

    public IReadOnlyList<string> Errors => [.. _errors];

    public static async Task<NatsLive> ConnectAsync(int port, string node, LatencyBook book, CancellationToken cancellationToken)
    {
        var live = new NatsLive(port, node, book);
        try
        {
            await live._subscriber.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            var roster = await live._subscriber.SubscribeCoreAsync<byte[]>(live._rosterPrefix + "*", cancellationToken: cancellationToken);
            var probes = await live._subscriber.SubscribeCoreAsync<byte[]>(live._probeSubject, cancellationToken: cancellationToken);
            live._loops.Add(live.ConsumeAsync(roster, live.OnRoster));
            live._loops.Add(live.ConsumeAsync(probes, live.OnProbe));
            await live._subscriber.PingAsync(cancellationToken); // the server has the subscriptions

            await live._publisher.ConnectAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            await live._js.CreateOrUpdateStreamAsync(new StreamConfig(Wire.NatsProbeStream, [Wire.NatsProbeStreamSubjects])
            {
                MaxMsgsPerSubject = 1,
                Storage = StreamConfigStorage.File, // as the bridge's stream
            }, cancellationToken);
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
            // Core publish on a subject the bridge's stream covers; the header makes JetStream refuse to store it.
            var headers = new NatsHeaders { ["Nats-Expected-Stream"] = NoSuchStream };
            await _subscriber.PublishAsync(_rosterPrefix + Wire.BarrierLevel, body, headers, cancellationToken: cancellationToken);
            await seen.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new LoadException($"NATS: the barrier did not come back within {timeout.TotalSeconds:F0} s");
        }
        finally
        {
            _barriers.TryRemove(id, out _);
        }
    }

    public async Task<string?> BarrierLeftoversAsync(CancellationToken cancellationToken)
    {
        var subject = _rosterPrefix + Wire.BarrierLevel;
        try
        {
            var stream = await _js.GetStreamAsync(BridgeStream, new StreamInfoRequest { SubjectsFilter = subject }, cancellationToken);
            return stream.Info.State.Subjects is { Count: > 0 } subjects
                ? $"NATS: the barrier subject {subject} holds {subjects.Values.Sum()} messages in {BridgeStream}: JetStream stored a barrier"
                : null;
        }
        catch (NatsJSApiException ex)
        {
            return $"NATS: cannot read stream {BridgeStream}: {ex.Error.Description}";
        }
    }

    public async Task ProbeAsync(long id, LatencyBook book, CancellationToken cancellationToken)
    {
        var body = new byte[sizeof(long)];
        BinaryPrimitives.WriteInt64LittleEndian(body, id);
        book.ProbeSent(id, Stopwatch.GetTimestamp());
        var ack = await _js.PublishAsync(_probeSubject, body, cancellationToken: cancellationToken);
        ack.EnsureSuccess();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or NatsException)
        {
            // stopping
        }

        foreach (var connection in new[] { _subscriber, _publisher })
        {
            try
            {
                await connection.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (TimeoutException)
            {
                // the server is gone already
            }
        }

        _stop.Dispose();
    }

    private async Task ConsumeAsync(INatsSub<byte[]> subscription, Action<NatsMsg<byte[]>, long> handle)
    {
        await using (subscription)
        {
            try
            {
                while (await subscription.Msgs.WaitToReadAsync(_stop.Token))
                {
                    while (subscription.Msgs.TryRead(out var message))
                    {
                        handle(message, Stopwatch.GetTimestamp());
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
        }
    }

    private void OnRoster(NatsMsg<byte[]> message, long at)
    {
        var level = message.Subject.AsSpan(_rosterPrefix.Length);
        var body = message.Data ?? [];
        try
        {
            if (level.SequenceEqual(Wire.BarrierLevel))
            {
                if (body.Length == sizeof(long) && _barriers.TryGetValue(BinaryPrimitives.ReadInt64LittleEndian(body), out var seen))
                {
                    seen.TrySetResult();
                }

                return;
            }

            var endpoint = Wire.Endpoint(level);
            if (endpoint < 0)
            {
                _errors.Enqueue($"NATS: a message on {message.Subject}, which is no endpoint");
                return;
            }

            RosterEntry entry;
            if (body.Length == 0)
            {
                var delete = message.Headers is { } headers && headers.TryGetValue("KV-Operation", out var operation) && operation == "DEL";
                if (!delete)
                {
                    _errors.Enqueue($"NATS: an empty message on {message.Subject} without KV-Operation: DEL");
                }

                entry = RosterEntry.Vacant;
            }
            else
            {
                entry = Payloads.FromMessagePack(body);
            }

            View.Apply(endpoint, entry, at);
            if (entry.Occupied)
            {
                _book.EventReceived(Broker, entry.Seq, at);
            }
        }
        catch (MessagePack.MessagePackSerializationException ex)
        {
            _errors.Enqueue($"NATS: {message.Subject}: undecodable payload: {ex.Message}");
        }
    }

    private void OnProbe(NatsMsg<byte[]> message, long at)
    {
        if (message.Data is { Length: sizeof(long) } body)
        {
            _book.ProbeReceived(Broker, BinaryPrimitives.ReadInt64LittleEndian(body), at);
        }
    }
}
