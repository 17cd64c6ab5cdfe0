using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Reconnect;

namespace RosterBridge.Outbox;

/// <summary>
/// Keeps one sink caught up with its outbox. Each session starts by reading back what the broker
/// holds, then publishes every slot that differs, up to <c>maxInFlight</c> slots at once. A failed
/// or timed-out publish counts as a lost connection: reconnect with backoff, and a new session.
/// A sweep (after each daemon SYNC) starts a new session on the same connection.
/// </summary>
internal sealed class SinkRunner
{
    private readonly RosterSink _sink;
    private readonly int _maxInFlight;
    private readonly TimeSpan _publishTimeout;
    private readonly Backoff _backoff;
    private readonly ILogger _log;
    private long _published;
    private long _sent;
    private long _failedPublishes;
    private long _sessions;
    private volatile bool _connected;
    private volatile CancellationTokenSource? _taking;

    public SinkRunner(RosterSink sink, IRosterOutbox outbox, int maxInFlight, TimeSpan publishTimeout, ReconnectOpts reconnect, ILogger log)
    {
        _sink = sink;
        Outbox = outbox;
        _maxInFlight = maxInFlight;
        _publishTimeout = publishTimeout;
        _backoff = new Backoff(reconnect.InitialDelay, reconnect.MaxDelay);
        _log = log;
    }

    public string Name => _sink.Name;

    public IRosterOutbox Outbox { get; }

    public bool IsConnected => _connected;

    /// <summary>Publishes the broker acknowledged (or found it held already).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages actually sent to the broker (a slot the broker held already is not sent).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public long FailedPublishes => Interlocked.Read(ref _failedPublishes);

    /// <summary>Sessions started: connects, reconnects and sweeps.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    /// <summary>
    /// Reads the broker back and publishes what differs from the roster, after the publishes in
    /// flight end. Called after each daemon SYNC: the broker may hold what the daemon no longer has.
    /// </summary>
    public void RequestSweep() => _taking?.Cancel();

    /// <summary>
    /// Returns once nothing is pending or the connection is down: what a stopping bridge waits for
    /// (bounded by <paramref name="cancellationToken"/>, which throws when it is cancelled first).
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        // The outbox signals nothing when it empties: look every 20 ms, as long as publishing can go on.
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (IsConnected && Outbox.PendingCount > 0)
        {
            await poll.WaitForNextTickAsync(cancellationToken);
        }
    }

    /// <summary>Says <c>offline</c> on the broker (when connected): call it after <see cref="RunAsync"/> has ended.</summary>
    public Task GoOfflineAsync(CancellationToken cancellationToken) => _sink.GoOfflineAsync(cancellationToken);

    /// <summary>Runs until cancelled; throws <see cref="SinkConfigException"/> when the broker is set up wrong.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var swept = false;
        while (!stop.IsCancellationRequested)
        {
            CancellationToken lost;
            try
            {
                lost = await BoundedAsync(_sink.ConnectAsync, stop);
                using var lostOrStop = CancellationTokenSource.CreateLinkedTokenSource(stop, lost);
                await BoundedAsync(async token => { await _sink.ReadBackAsync(token); return true; }, lostOrStop.Token);
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
                _log.LogWarning("{Sink} {Target}: cannot connect: {Error}",
                    Name, _sink.Target, ex is OperationCanceledException ? "no answer in time" : ex.Message);
                if (!await DelayAsync(stop))
                {
                    return;
                }

                continue;
            }

            if (swept)
            {
                _log.LogDebug("{Sink} {Target}: sweep: the broker holds {Held} entries of this node", Name, _sink.Target, _sink.HeldCount);
            }
            else
            {
                _log.LogInformation("{Sink} {Target}: connected; the broker holds {Held} entries of this node; publishing what differs from the roster",
                    Name, _sink.Target, _sink.HeldCount);
            }

            var acknowledgedBefore = Published;
            swept = await RunSessionAsync(lost, stop);
            if (stop.IsCancellationRequested)
            {
                return;
            }

            if (swept)
            {
                continue; // same connection, fresh read-back
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

    /// <summary>Returns true when the session ended for a sweep, false when the connection was lost.</summary>
    private async Task<bool> RunSessionAsync(CancellationToken lost, CancellationToken stop)
    {
        // Two tokens: "publishing" aborts publishes in flight (connection lost, stop); "taking" only
        // stops taking new jobs, so that a sweep lets the publishes in flight finish.
        using var publishing = CancellationTokenSource.CreateLinkedTokenSource(lost, stop);
        using var taking = CancellationTokenSource.CreateLinkedTokenSource(publishing.Token);
        Interlocked.Increment(ref _sessions);
        Outbox.BrokerStateLost();
        _taking = taking;
        _connected = true;
        try
        {
            var workers = new Task[_maxInFlight];
            for (var i = 0; i < workers.Length; i++)
            {
                workers[i] = PublishLoopAsync(publishing, taking.Token);
            }

            var all = Task.WhenAll(workers);
            await all; // workers end on their own once "taking" or "publishing" is cancelled
            if (lost.IsCancellationRequested || (publishing.IsCancellationRequested && !stop.IsCancellationRequested))
            {
                // Whatever is still pending on this connection must never land after what the next
                // session publishes: the connection goes, with everything queued in it.
                await _sink.DisconnectAsync();
            }

            return !publishing.IsCancellationRequested;
        }
        finally
        {
            _taking = null;
            _connected = !publishing.IsCancellationRequested;
        }
    }

    private async Task PublishLoopAsync(CancellationTokenSource publishing, CancellationToken taking)
    {
        // The flag is checked, not only the token awaited: while Cancel() runs its callbacks, a
        // worker resumed by one of them must not take another job before "taking" is cancelled too.
        while (!publishing.IsCancellationRequested)
        {
            PublishJob job;
            try
            {
                job = await Outbox.TakeAsync(taking);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (publishing.IsCancellationRequested)
            {
                Outbox.Complete(job, acknowledged: false);
                return;
            }

            var acknowledged = false;
            try
            {
                if (await BoundedAsync(token => _sink.PublishAsync(job, token), publishing.Token))
                {
                    Interlocked.Increment(ref _sent);
                }

                acknowledged = true;
                Interlocked.Increment(ref _published);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _failedPublishes);
                if (!publishing.IsCancellationRequested)
                {
                    _log.LogWarning("{Sink} {Target}: publish of endpoint {Endpoint} failed: {Error}",
                        Name, _sink.Target, job.Endpoint, ex is OperationCanceledException ? $"no acknowledgement within {_publishTimeout.TotalSeconds:F0} s" : ex.Message);
                    publishing.Cancel();
                }
            }
            finally
            {
                Outbox.Complete(job, acknowledged);
            }
        }
    }

    /// <summary>
    /// Runs a client-library call with a token of its own that only its time limit cancels, and
    /// stops waiting for it when <paramref name="cancellationToken"/> is cancelled. Cancelling our
    /// tokens then never runs the libraries' cancellation callbacks, which can block on a hung socket.
    /// </summary>
    private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var timeout = new CancellationTokenSource(_publishTimeout);

        // On the thread pool: a client library that blocks (a lock held by its hung writer) blocks
        // a pool thread for a while, never this loop.
        var task = Task.Run(() => call(timeout.Token), CancellationToken.None);
        _ = task.ContinueWith(_ => timeout.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return await task.WaitAsync(cancellationToken);
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
