using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Outbox.Internal;
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

    /// <summary>A connection earns a fresh backoff only after it lived this long and the broker acknowledged something on it.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(10);

    /// <summary>How long a stopping runner waits for the broker to take its <c>offline</c>.</summary>
    public static readonly TimeSpan OfflineTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long dropping a connection may hold the runner up; the client library may take longer in the background.</summary>
    public static readonly TimeSpan DropTimeout = TimeSpan.FromSeconds(2);

    private readonly RosterSink _sink;
    private readonly int _maxInFlight;
    private readonly BoundedCalls _calls;
    private readonly ReadBackSchedule _readBacks;
    private readonly Backoff _backoff;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private volatile bool _connected;
    private volatile SinkProblem? _problem;

    public SinkRunner(RosterSink sink, IRosterOutbox outbox, int maxInFlight, TimeSpan callTimeout, ReconnectOpts reconnect, ILogger log, TimeProvider? time = null)
    {
        _sink = sink;
        Outbox = outbox;
        _maxInFlight = maxInFlight;
        _time = time ?? TimeProvider.System;
        _calls = new BoundedCalls(callTimeout, _time);
        _readBacks = new ReadBackSchedule(ReadBackInterval, _time);
        _backoff = new Backoff(reconnect.InitialDelay, reconnect.MaxDelay);
        _log = log;
    }

    public string Name => _sink.Name;

    public IRosterOutbox Outbox { get; }

    public SinkCounters Counters { get; } = new();

    /// <summary>Connected, and the broker was read back on this connection.</summary>
    public bool IsConnected => _connected;

    /// <summary>Why the sink is not connected (or was last dropped), in words; null while all is well.</summary>
    public string? Problem => _problem?.Text;

    /// <summary>The kind of <see cref="Problem"/> (<see cref="SinkProblem.Kinds"/>); null while all is well.</summary>
    public string? ProblemKind => _problem?.Kind;

    /// <summary>
    /// Asks for the broker to be read back, and what differs from the roster published, after the
    /// publishes in flight end. Called after each daemon SYNC: the broker may hold what the daemon
    /// no longer has. Safe from any thread at any time; a request is never lost.
    /// </summary>
    public void RequestSweep() => _readBacks.RequestSweep();

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
    /// drops it. Throws <see cref="SinkConfigException"/> when the broker is set up wrong, and a
    /// defect of the program or its installation as it is.
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
            catch (Exception ex) when (ex is not SinkConfigException && !BoundedCalls.IsDefect(ex))
            {
                _problem = Describe(ex, session: null);
                _log.LogWarning("{Sink} {Target}: cannot connect: {Error}", Name, _sink.Target, _problem.Text);
                if (!await DelayAsync(_backoff.NextDelay(), stop))
                {
                    return;
                }

                continue;
            }

            Counters.OnConnected();
            var connectedAt = _time.GetTimestamp();
            var acknowledgedBefore = Counters.Published;
            var stopping = true; // unless the connection was lost
            try
            {
                await RunConnectionAsync(session, stop);
                stopping = stop.IsCancellationRequested;
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

            if (Counters.Published > acknowledgedBefore && _time.GetElapsedTime(connectedAt) >= StableAfter)
            {
                _backoff.Reset();
            }

            var delay = _backoff.NextDelay();
            _problem ??= new SinkProblem(SinkProblem.Lost, "connection lost");
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
            if (!first && !await DelayAsync(_readBacks.UntilAllowed, lostOrStop.Token))
            {
                return;
            }

            _readBacks.Starting();
            Counters.OnReadBack();
            try
            {
                await _calls.RunAsync(session.ReadBackAsync, lostOrStop.Token);
            }
            catch (Exception ex) when (ex is not SinkConfigException && !BoundedCalls.IsDefect(ex))
            {
                if (!lostOrStop.IsCancellationRequested)
                {
                    _problem = Describe(ex, session);
                    _log.LogWarning("{Sink} {Target}: reading the broker back failed: {Error}", Name, _sink.Target, _problem.Text);
                }

                return;
            }

            _log.Log(first ? LogLevel.Information : LogLevel.Debug,
                "{Sink} {Target}: {What}; the broker holds {Held} entries of this node; publishing what differs from the roster",
                Name, _sink.Target, first ? "connected" : "sweep", session.Held.Count);
            first = false;
            _problem = null;
            Counters.OnSession();
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

        tasks[^1] = EndForSweepAsync(taking);
        await Task.WhenAll(tasks);

        // When a publish failed, the connection is as good as lost.
        return !publishing.IsCancellationRequested;
    }

    private async Task EndForSweepAsync(CancellationTokenSource taking)
    {
        try
        {
            await _readBacks.WaitForSweepAsync(taking.Token);
            await taking.CancelAsync();
        }
        catch (OperationCanceledException)
        {
            // the round ended first; the next read-back answers the request
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
                var sent = await _calls.RunAsync(token => session.PublishAsync(job, token), publishing.Token);
                Counters.OnPublished(sent);
                acknowledged = true;
                LogPublished(job, sent);
            }
            catch (BrokerChangedException ex) when (!publishing.IsCancellationRequested)
            {
                Counters.OnPublishRefused();
                _log.LogWarning("{Sink} {Target}: endpoint {Endpoint}: {Problem}; reading the broker back", Name, _sink.Target, job.Endpoint, ex.Message);
                await taking.CancelAsync();
            }
            catch (Exception ex)
            {
                Counters.OnPublishFailed();
                if (!publishing.IsCancellationRequested)
                {
                    _problem = Describe(ex, session);
                    _log.LogWarning("{Sink} {Target}: publish of endpoint {Endpoint} failed: {Error}", Name, _sink.Target, job.Endpoint, _problem.Text);
                    await publishing.CancelAsync();
                }
            }
            finally
            {
                Outbox.Complete(job, acknowledged);
            }
        }
    }

    /// <summary>One line per publish at Debug: at Information a busy host's log would be little else.</summary>
    private void LogPublished(in PublishJob job, bool sent)
    {
        if (_log.IsEnabled(LogLevel.Debug))
        {
            _log.LogDebug("{Sink}: endpoint {Endpoint} {Outcome} (seq {Seq})", Name, job.Endpoint,
                !sent ? "was held by the broker already" : job.State.IsOccupied ? $"published: vmid {job.State.Datum.Vmid}" : "cleared", job.State.Seq);
        }
    }

    /// <summary>A new session, or an exception; a connect abandoned at its time limit is dropped if it completes later.</summary>
    private async Task<BrokerSession> ConnectAsync(CancellationToken stop)
    {
        var connecting = _calls.Start(_sink.ConnectAsync);
        try
        {
            return await connecting.WaitAsync(_calls.Limit, _time, stop);
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
            _log.LogDebug("{Sink}: an abandoned connect ended: {Error}", Name, _calls.Describe(ex));
        }
    }

    private async Task GoOfflineAsync(BrokerSession session)
    {
        try
        {
            await _calls.RunAsync(session.GoOfflineAsync, CancellationToken.None, _calls.Limit < OfflineTimeout ? _calls.Limit : OfflineTimeout);
        }
        catch (Exception ex)
        {
            _log.LogWarning("{Sink} {Target}: could not say offline before stopping: {Error}", Name, _sink.Target, _calls.Describe(ex));
        }
    }

    /// <summary>Drops the session's connection, waiting at most <see cref="DropTimeout"/> for the client library.</summary>
    private async Task DropAsync(BrokerSession session)
    {
        try
        {
            await Task.Run(() => session.DisposeAsync().AsTask()).WaitAsync(DropTimeout, _time, CancellationToken.None);
        }
        catch (Exception ex)
        {
            _log.LogDebug("{Sink}: the old connection is still closing; going on without it: {Error}", Name, _calls.Describe(ex));
        }
    }

    /// <summary>A failure in words; a denial (of the bridge's credentials, certificate or permissions) says so.</summary>
    private SinkProblem Describe(Exception ex, BrokerSession? session) => new(
        SinkProblemKind.Of(ex, session?.Denial is not null, connecting: session is null),
        session?.Denial is { } denial ? $"denied: {denial}"
        : ex is BrokerDeniedException ? $"denied: {ex.Message}"
        : _calls.Describe(ex));

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
