using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Reconnect;
using RosterBridge.Roster;

namespace RosterBridge.Daemon;

/// <summary>
/// Keeps a subscription to the daemon: connects, says HELLO, reads frames into a
/// <see cref="DaemonSession"/>, and reconnects with backoff after anything but a refusal.
/// </summary>
internal sealed class DaemonClient
{
    /// <summary>A connect (TCP handshake, or DNS and TCP) that has not completed by then is given up.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A connection counts as a success, which starts the backoff again from its initial delay, only
    /// once it has stayed up this long past SYNC. Resetting at SYNC itself would let a daemon that
    /// closes right after every SYNC be reconnected at the initial delay, several times a second,
    /// each time with a replay and a broker read-back.
    /// </summary>
    public static readonly TimeSpan StableConnection = TimeSpan.FromSeconds(10);

    /// <summary>The size of the pipe's reads from the daemon's socket.</summary>
    internal const int ReadBufferSize = 16 * 1024;

    private readonly DaemonEndpoint _endpoint;
    private readonly RosterFeed _feed;
    private readonly BridgeCounters _counters;
    private readonly ILogger _log;
    private readonly RateLimitedLog _badInput;
    private readonly Backoff _backoff;
    private readonly Action _onSynced;
    private readonly TimeProvider _time;
    private readonly DaemonReadLoop _loop;
    private ulong? _lastSessionId;
    private long _syncedAt;

    /// <param name="onSynced">Called after each SYNC, once the replay is the roster.</param>
    /// <param name="time">The clock of the backoff, the connect and handshake limits (tests pass a fake one).</param>
    public DaemonClient(DaemonEndpoint endpoint, ReconnectOpts reconnect, RosterFeed feed, BridgeCounters counters, ILogger log, Action? onSynced = null,
        TimeProvider? time = null)
    {
        _onSynced = onSynced ?? (() => { });
        _time = time ?? TimeProvider.System;
        _loop = new DaemonReadLoop(feed, _time);
        _endpoint = endpoint;
        _feed = feed;
        _counters = counters;
        _log = log;
        _badInput = new RateLimitedLog(log);
        _backoff = new Backoff(reconnect.InitialDelay, reconnect.MaxDelay);
    }

    /// <summary>True while a connection is past SYNC.</summary>
    public bool IsLive { get; private set; }

    /// <summary>Runs until cancelled; throws <see cref="DaemonRefusedException"/> when the daemon refuses for good.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunConnectionAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
            {
                _log.LogError("may not open the daemon socket {Endpoint}: permission denied (add this user to the socket's group)", _endpoint);
            }
            catch (SocketException ex) when (_endpoint.IsUnix && !File.Exists(_endpoint.Address))
            {
                _log.LogWarning("daemon socket {Path} does not exist (is the daemon running? is the path right?): {Error}", _endpoint.Address, ex.Message);
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
                _log.LogWarning("daemon {Endpoint}: {Error}", _endpoint, ex.Message);
            }
            catch (IOException ex)
            {
                _log.LogWarning("daemon {Endpoint}: connection lost: {Error}", _endpoint, ex.Message);
            }
            catch (DaemonProtocolException ex)
            {
                _log.LogWarning("daemon {Endpoint}: {Problem}; reconnecting for a fresh replay", _endpoint, ex.Message);
            }
            finally
            {
                if (IsLive && _time.GetElapsedTime(_syncedAt) >= StableConnection)
                {
                    _backoff.Reset();
                }

                IsLive = false;
            }

            var delay = _backoff.NextDelay();
            _log.LogInformation("reconnecting to the daemon in {Delay:F1} s", delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunConnectionAsync(CancellationToken cancellationToken)
    {
        using var socket = _endpoint.CreateSocket();
        if (!_endpoint.IsUnix)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        }

        await ConnectAsync(socket, cancellationToken);
        _counters.DaemonConnected();
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var hello = new byte[EventWriter.WireSize];
        EventWriter.WriteHello(hello, Capabilities.Roster);
        await stream.WriteAsync(hello, cancellationToken);

        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true));
        var session = new DaemonSession(_feed, _counters, _badInput);
        try
        {
            await _loop.RunAsync(reader, session, () => OnSynced(session), cancellationToken);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async Task ConnectAsync(Socket socket, CancellationToken cancellationToken)
    {
        // A TCP peer that drops SYNs (a firewall, a full accept queue) leaves connect pending for
        // minutes of kernel retries.
        using var limit = new CancellationTokenSource(ConnectTimeout, _time);
        using var limitOrStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            await socket.ConnectAsync(_endpoint.ToEndPoint(), limitOrStop.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection within {ConnectTimeout.TotalSeconds:F0} s");
        }
    }

    private void OnSynced(DaemonSession session)
    {
        _syncedAt = _time.GetTimestamp();
        _counters.SyncedAt(_time.GetUtcNow());
        IsLive = true;
        if (_lastSessionId is { } previous && previous != session.SessionId)
        {
            _log.LogInformation("the daemon restarted (session {Previous:x16} -> {Current:x16}); its replay is the roster now", previous, session.SessionId);
        }

        _lastSessionId = session.SessionId;
        _log.LogInformation("daemon {Endpoint} synced: {Occupied} endpoints occupied, {Changed} changed by the replay",
            _endpoint, _feed.OccupiedCount, session.ChangedAtSync);
        _onSynced();
    }
}
