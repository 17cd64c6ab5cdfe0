using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Reconnect;

namespace RosterBridge.Outbox;

/// <summary>
/// Keeps one sink caught up with its outbox. Every connect is a new <see cref="BrokerSession"/>,
/// which starts by reading back what the broker holds and then publishes every slot that differs,
/// up to <c>maxInFlight</c> slots at once. A failed or timed-out publish counts as a lost
/// connection: the session is dropped, with anything still queued in it, and the runner reconnects
/// with backoff. A sweep (requested after each daemon SYNC), or a publish the broker refused as out
/// of date, reads the broker back again on the same connection.
/// </summary>
internal sealed class SinkRunner
{
    /// <summary>
    /// Read-backs on one connection are at least this far apart, however often the daemon syncs or
    /// the broker refuses a publish: a flapping daemon or a second writer cannot make the bridge read
    /// the broker in a loop. Slots that changed are published at once all the same.
    /// </summary>
    public static readonly TimeSpan ReadBackInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long a stopping runner waits for the broker to take its <c>offline</c>.</summary>
    public static readonly TimeSpan OfflineTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long dropping a connection may hold the runner up; the client library may take longer in the background.</summary>
    public static readonly TimeSpan DropTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A connection earns a fresh backoff only after it lived this long and the broker acknowledged something on it.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(10);

    private readonly RosterSink _sink;
    private readonly int _maxInFlight;
    private readonly TimeSpan _callTimeout;
    private readonly Backoff _backoff;
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    // A sweep request is data the runner reads, never a cancel from the daemon's thread: one
    // pending request is enough, and it waits across sessions until a read-back starts.
    private readonly Channel<bool> _sweepRequests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private long _published;
    private long _sent;
    private long _failedPublishes;
    private long _sessions;
    private long _readBacks;
    private long _lastReadBack;
    private volatile bool _connected;

    public SinkRunner(RosterSink sink, IRosterOutbox outbox, int maxInFlight, TimeSpan callTimeout, ReconnectOpts reconnect, ILogger log, TimeProvider? time = null)
    {
        _sink = sink;
        Outbox = outbox;
        _maxInFlight = maxInFlight;
        _callTimeout = callTimeout;
        _backoff = new Backoff(reconnect.InitialDelay, reconnect.MaxDelay);
        _time = time ?? TimeProvider.System;
        _log = log;
    }

    public string Name => _sink.Name;

    public IRosterOutbox Outbox { get; }

    /// <summary>Connected, and the broker was read back on this connection.</summary>
    public bool IsConnected => _connected;

    /// <summary>Publishes the broker acknowledged (or found it held already).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages actually sent to the broker (a slot the broker held already is not sent).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public long FailedPublishes => Interlocked.Read(ref _failedPublishes);

    /// <summary>Sessions started: every read-back that began a round of publishing (connects and sweeps).</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    /// <summary>Read-backs begun.</summary>
    public long ReadBacks => Interlocked.Read(ref _readBacks);

    /// <summary>
    /// Asks for the broker to be read back, and what differs from the roster published, after the
    /// publishes in flight end. Called after each daemon SYNC: the broker may hold what the daemon
    /// no longer has. Safe from any thread at any time; a request is never lost.
    /// </summary>
    public void RequestSweep() => _sweepRequests.Writer.TryWrite(true);

    /// <summary>Waits while connected until the broker acknowledged everything pending.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_connected && Outbox.PendingCount > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken);
        }
    }

    /// <summary>
    /// Runs until <paramref name="stop"/>, then says offline on the connection it has (bounded) and
    /// drops it. Throws <see cref="SinkConfigException"/> when the broker is set up wrong.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            BrokerSession session;
            try
            {
                session = await ConnectAsync(stop);
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
                _log.LogWarning("{Sink} {Target}: cannot connect: {Error}", Name, _sink.Target, Describe(ex));
                if (!await DelayAsync(_backoff.NextDelay(), stop))
                {
                    return;
                }

                continue;
            }

            var connectedAt = _time.GetTimestamp();
            var acknowledgedBefore = Published;
            var stopping = false;
            try
            {
                await RunConnectionAsync(session, stop);
                stopping = stop.IsCancellationRequested;
            }
            catch (SinkConfigException)
            {
                stopping = true; // the bridge stops for it
                throw;
            }
            finally
            {
                _connected = false;
                if (stopping && !session.Lost.IsCancellationRequested)
                {
                    await GoOfflineAsync(session);
                }

                await DropAsync(session);
            }

            if (stop.IsCancellationRequested)
            {
                return;
            }

            if (Published > acknowledgedBefore && _time.GetElapsedTime(connectedAt) >= StableAfter)
            {
                _backoff.Reset();
            }

            var delay = _backoff.NextDelay();
            _log.LogWarning("{Sink} {Target}: connection lost; reconnecting in {Delay:F1} s", Name, _sink.Target, delay.TotalSeconds);
            if (!await DelayAsync(delay, stop))
            {
                return;
            }
        }
    }

    /// <summary>Read back, publish, and again after each sweep, until the connection is lost or the runner stops.</summary>
    private async Task RunConnectionAsync(BrokerSession session, CancellationToken stop)
    {
        using var lostOrStop = CancellationTokenSource.CreateLinkedTokenSource(session.Lost, stop);
        var first = true;
        while (!lostOrStop.IsCancellationRequested)
        {
            if (!first && !await DelayAsync(ReadBackInterval - _time.GetElapsedTime(Volatile.Read(ref _lastReadBack)), lostOrStop.Token))
            {
                return;
            }

            // Every request made before this read-back starts is answered by it.
            while (_sweepRequests.Reader.TryRead(out _))
            {
            }

            Volatile.Write(ref _lastReadBack, _time.GetTimestamp());
            Interlocked.Increment(ref _readBacks);
            try
            {
                await BoundedAsync(async token => { await session.ReadBackAsync(token); return true; }, lostOrStop.Token);
            }
            catch (Exception ex) when (ex is not SinkConfigException)
            {
                if (!lostOrStop.IsCancellationRequested)
                {
                    _log.LogWarning("{Sink} {Target}: reading the broker back failed: {Error}", Name, _sink.Target, Describe(ex));
                }

                return;
            }

            _log.Log(first ? LogLevel.Information : LogLevel.Debug,
                "{Sink} {Target}: {What}; the broker holds {Held} entries of this node; publishing what differs from the roster",
                Name, _sink.Target, first ? "connected" : "sweep", session.Held.Count);
            first = false;
            Interlocked.Increment(ref _sessions);
            Outbox.BrokerStateLost();
            _connected = true;
            if (!await PublishAsync(session, lostOrStop.Token))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Publishes until the connection is lost, the runner stops, or the broker is to be read back;
    /// returns true for the last (the connection is still good).
    /// </summary>
    private async Task<bool> PublishAsync(BrokerSession session, CancellationToken lostOrStop)
    {
        // "publishing" aborts the publishes in flight (connection lost, stop); "taking" only stops
        // taking new jobs, so that before a read-back the publishes in flight finish.
        using var publishing = CancellationTokenSource.CreateLinkedTokenSource(lostOrStop);
        using var taking = CancellationTokenSource.CreateLinkedTokenSource(publishing.Token);
        var tasks = new Task[_maxInFlight + 1];
        for (var i = 0; i < _maxInFlight; i++)
        {
            tasks[i] = PublishLoopAsync(session, publishing, taking);
        }

        tasks[^1] = AwaitSweepAsync(taking);
        await Task.WhenAll(tasks);

        // When a publish failed, the connection is as good as lost.
        return !publishing.IsCancellationRequested;
    }

    private async Task AwaitSweepAsync(CancellationTokenSource taking)
    {
        try
        {
            await _sweepRequests.Reader.ReadAsync(taking.Token);
            await Task.Delay(Max(ReadBackInterval - _time.GetElapsedTime(Volatile.Read(ref _lastReadBack)), TimeSpan.Zero), _time, taking.Token);
            await taking.CancelAsync();
        }
        catch (OperationCanceledException)
        {
            // the session ended first; the next read-back answers the request
        }
    }

    private async Task PublishLoopAsync(BrokerSession session, CancellationTokenSource publishing, CancellationTokenSource taking)
    {
        // The flags are checked, not only the token awaited: while Cancel() runs its callbacks, a
        // worker resumed by one of them must not take another job before "taking" is cancelled too.
        while (!publishing.IsCancellationRequested && !taking.IsCancellationRequested)
        {
            PublishJob job;
            try
            {
                job = await Outbox.TakeAsync(taking.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (publishing.IsCancellationRequested || taking.IsCancellationRequested)
            {
                Outbox.Complete(job, acknowledged: false);
                return;
            }

            var acknowledged = false;
            try
            {
                if (await BoundedAsync(token => session.PublishAsync(job, token), publishing.Token))
                {
                    Interlocked.Increment(ref _sent);
                }

                acknowledged = true;
                Interlocked.Increment(ref _published);
            }
            catch (BrokerChangedException ex) when (!publishing.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failedPublishes);
                _log.LogWarning("{Sink} {Target}: endpoint {Endpoint}: {Problem}; reading the broker back", Name, _sink.Target, job.Endpoint, ex.Message);
                await taking.CancelAsync();
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _failedPublishes);
                if (!publishing.IsCancellationRequested)
                {
                    _log.LogWarning("{Sink} {Target}: publish of endpoint {Endpoint} failed: {Error}", Name, _sink.Target, job.Endpoint, Describe(ex));
                    await publishing.CancelAsync();
                }
            }
            finally
            {
                Outbox.Complete(job, acknowledged);
            }
        }
    }

    /// <summary>A new session, or an exception; a connect abandoned at its time limit is dropped if it completes later.</summary>
    private async Task<BrokerSession> ConnectAsync(CancellationToken stop)
    {
        var connecting = StartCall(_sink.ConnectAsync, _callTimeout);
        try
        {
            return await connecting.WaitAsync(_callTimeout, _time, stop);
        }
        catch
        {
            _ = DropWhenConnectedAsync(connecting);
            throw;
        }
    }

    private async Task DropWhenConnectedAsync(Task<BrokerSession> connecting)
    {
        try
        {
            await DropAsync(await connecting);
        }
        catch (Exception ex)
        {
            _log.LogDebug("{Sink}: an abandoned connect ended: {Error}", Name, Describe(ex));
        }
    }

    private async Task GoOfflineAsync(BrokerSession session)
    {
        try
        {
            var limit = Min(_callTimeout, OfflineTimeout);
            await StartCall(async token => { await session.GoOfflineAsync(token); return true; }, limit)
                .WaitAsync(limit, _time, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _log.LogWarning("{Sink} {Target}: could not say offline before stopping: {Error}", Name, _sink.Target, Describe(ex));
        }
    }

    /// <summary>Drops the session's connection, waiting at most the call time limit for the client library.</summary>
    private async Task DropAsync(BrokerSession session)
    {
        try
        {
            await Task.Run(() => session.DisposeAsync().AsTask()).WaitAsync(DropTimeout, _time, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _log.LogDebug("{Sink}: the old connection is still closing; going on without it: {Error}", Name, Describe(ex));
        }
    }

    /// <summary>
    /// Runs a client-library call with a token of its own that only its time limit cancels, and
    /// stops waiting for it at that limit or when <paramref name="cancellationToken"/> is cancelled.
    /// Cancelling our tokens then never runs the libraries' cancellation callbacks, which can block
    /// on a hung socket; and a call that ignores its token holds up nothing.
    /// </summary>
    private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await StartCall(call, _callTimeout).WaitAsync(_callTimeout, _time, cancellationToken);

    private Task<T> StartCall<T>(Func<CancellationToken, Task<T>> call, TimeSpan limit)
    {
        var timeout = new CancellationTokenSource(limit, _time);

        // On the thread pool: a client library that blocks (a lock held by its hung writer) blocks
        // a pool thread for a while, never this loop.
        var task = Task.Run(() => call(timeout.Token), CancellationToken.None);
        _ = task.ContinueWith(_ => timeout.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Max(delay, TimeSpan.Zero), _time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private string Describe(Exception ex) => ex switch
    {
        TimeoutException or OperationCanceledException => $"no answer within {_callTimeout.TotalSeconds:F0} s",
        _ => ex.Message,
    };
}
