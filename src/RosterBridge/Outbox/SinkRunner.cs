using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Reconnect;

namespace RosterBridge.Outbox;

/// <summary>
/// Keeps one sink caught up with its outbox: connects with backoff, republishes every slot after
/// each (re)connect, publishes up to <c>maxInFlight</c> slots at once, and treats any failed or
/// timed-out publish as a lost connection.
/// </summary>
internal sealed class SinkRunner
{
    private readonly RosterSink _sink;
    private readonly int _maxInFlight;
    private readonly TimeSpan _publishTimeout;
    private readonly Backoff _backoff;
    private readonly ILogger _log;
    private long _published;
    private long _failedPublishes;
    private volatile bool _connected;

    public SinkRunner(RosterSink sink, SinkOutbox outbox, int maxInFlight, TimeSpan publishTimeout, ReconnectOpts reconnect, ILogger log)
    {
        _sink = sink;
        Outbox = outbox;
        _maxInFlight = maxInFlight;
        _publishTimeout = publishTimeout;
        _backoff = new Backoff(reconnect.InitialDelay, reconnect.MaxDelay);
        _log = log;
    }

    public string Name => _sink.Name;

    public SinkOutbox Outbox { get; }

    public bool IsConnected => _connected;

    /// <summary>Publishes the broker acknowledged.</summary>
    public long Published => Interlocked.Read(ref _published);

    public long FailedPublishes => Interlocked.Read(ref _failedPublishes);

    /// <summary>Runs until cancelled; throws <see cref="SinkConfigException"/> when the broker is set up wrong.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            CancellationToken lost;
            try
            {
                lost = await _sink.ConnectAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SinkConfigException)
            {
                throw;
            }
            catch (Exception ex)
            {
                _log.LogWarning("{Sink} {Target}: cannot connect: {Error}", Name, _sink.Target, ex.Message);
                if (!await DelayAsync(stop))
                {
                    return;
                }

                continue;
            }

            _log.LogInformation("{Sink} {Target}: connected; publishing every slot", Name, _sink.Target);
            var acknowledgedBefore = Published;
            await RunSessionAsync(lost, stop);
            if (stop.IsCancellationRequested)
            {
                return;
            }

            // A connection that acknowledged nothing does not earn a fresh backoff: a broker that
            // accepts connections but fails every publish must not be hammered.
            if (Published > acknowledgedBefore)
            {
                _backoff.Reset();
            }

            _log.LogWarning("{Sink} {Target}: connection lost; reconnecting", Name, _sink.Target);
            if (!await DelayAsync(stop))
            {
                return;
            }
        }
    }

    private async Task RunSessionAsync(CancellationToken lost, CancellationToken stop)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(lost, stop);
        Outbox.BrokerStateLost();
        _connected = true;
        try
        {
            var workers = new Task[_maxInFlight];
            for (var i = 0; i < workers.Length; i++)
            {
                workers[i] = PublishLoopAsync(session);
            }

            // Every publish of this session has ended before the next one starts, so no late
            // acknowledgement can mark a slot published on a broker that has since lost it.
            await Task.WhenAll(workers);
        }
        finally
        {
            _connected = false;
        }
    }

    private async Task PublishLoopAsync(CancellationTokenSource session)
    {
        while (true)
        {
            PublishJob job;
            try
            {
                job = await Outbox.TakeAsync(session.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var acknowledged = false;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(session.Token);
                timeout.CancelAfter(_publishTimeout);
                await _sink.PublishAsync(job, timeout.Token);
                acknowledged = true;
                Interlocked.Increment(ref _published);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _failedPublishes);
                if (!session.IsCancellationRequested)
                {
                    _log.LogWarning("{Sink} {Target}: publish of endpoint {Endpoint} failed: {Error}",
                        Name, _sink.Target, job.Endpoint, ex is OperationCanceledException ? $"no acknowledgement within {_publishTimeout.TotalSeconds:F0} s" : ex.Message);
                    await session.CancelAsync();
                }
            }
            finally
            {
                Outbox.Complete(job, acknowledged);
            }
        }
    }

    private async Task<bool> DelayAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(_backoff.NextDelay(), stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
