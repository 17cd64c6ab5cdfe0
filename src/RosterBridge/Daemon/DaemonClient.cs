using System.Buffers;
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
    /// <summary>A daemon that accepts but does not finish its replay within this time is dropped.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    private readonly DaemonEndpoint _endpoint;
    private readonly RosterFeed _feed;
    private readonly BridgeCounters _counters;
    private readonly ILogger _log;
    private readonly RateLimitedLog _badInput;
    private readonly Backoff _backoff;
    private readonly Action _onSynced;
    private readonly byte[] _straddling = new byte[VmsigWire.MaxFrameLength]; // a frame across two pipe segments
    private ulong? _lastSessionId;

    /// <param name="onSynced">Called after each SYNC, once the replay is the roster.</param>
    public DaemonClient(DaemonEndpoint endpoint, ReconnectOpts reconnect, RosterFeed feed, BridgeCounters counters, ILogger log, Action? onSynced = null)
    {
        _onSynced = onSynced ?? (() => { });
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
            catch (SocketException ex)
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
                IsLive = false;
            }

            var delay = _backoff.NextDelay();
            _log.LogInformation("reconnecting to the daemon in {Delay:F1} s", delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, cancellationToken);
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

        await socket.ConnectAsync(_endpoint.ToEndPoint(), cancellationToken);
        _counters.DaemonConnected();
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var hello = new byte[EventWriter.WireSize];
        EventWriter.WriteHello(hello, Capabilities.Roster);
        await stream.WriteAsync(hello, cancellationToken);

        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            await ReadFramesAsync(reader, cancellationToken);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async Task ReadFramesAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        var session = new DaemonSession(_feed, _counters, _badInput);
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshakeTimeout.CancelAfter(HandshakeTimeout);
        var readToken = handshakeTimeout.Token;

        while (true)
        {
            ReadResult read;
            try
            {
                read = await reader.ReadAsync(readToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DaemonProtocolException($"no SYNC within {HandshakeTimeout.TotalSeconds:F0} s of connecting");
            }

            var buffer = read.Buffer;
            var outcome = HandleFrames(session, ref buffer);
            reader.AdvanceTo(buffer.Start, buffer.End);

            if (outcome == FrameOutcome.Synced)
            {
                readToken = cancellationToken; // live events may be far apart: no timeout after SYNC
                OnSynced(session);
            }
            else if (outcome == FrameOutcome.DaemonError)
            {
                // A refusal is for good; other ERROR codes may pass, so they reconnect with backoff.
                if (session.ErrorCode is DaemonErrorCode.CapabilityRefused or DaemonErrorCode.VersionUnsupported or DaemonErrorCode.MalformedRequest)
                {
                    throw new DaemonRefusedException(session.ErrorCode, session.Problem);
                }

                throw new DaemonProtocolException(session.Problem);
            }
            else if (outcome == FrameOutcome.ProtocolError)
            {
                throw new DaemonProtocolException(session.Problem);
            }

            if (read.IsCompleted)
            {
                throw new IOException(buffer.IsEmpty ? "the daemon closed the connection" : "the daemon closed the connection inside a frame");
            }
        }
    }

    /// <summary>Handles every whole frame in the buffer; stops early at SYNC or an error.</summary>
    private FrameOutcome HandleFrames(DaemonSession session, ref ReadOnlySequence<byte> buffer)
    {
        var copy = _straddling;
        while (true)
        {
            // Every whole frame in the first segment is cut as a span, and the sequence is advanced
            // once: slicing a ReadOnlySequence per frame costs more than decoding the frame.
            var span = buffer.FirstSpan;
            var start = span.Length;
            var outcome = FrameOutcome.Continue;
            FrameParseResult cut;
            uint length;
            while ((cut = FrameReader.TryRead(ref span, out var body, out length)) == FrameParseResult.Frame)
            {
                outcome = session.Handle(body);
                if (outcome != FrameOutcome.Continue)
                {
                    break;
                }
            }

            buffer = buffer.Slice(start - span.Length);
            if (outcome != FrameOutcome.Continue)
            {
                return outcome;
            }

            if (cut == FrameParseResult.InvalidLength)
            {
                return RejectLength(session, length);
            }

            // The first segment ends inside a frame: that frame straddles segments (or is incomplete).
            switch (FrameReader.TryRead(ref buffer, out var straddling, out length))
            {
                case FrameParseResult.NeedMoreData:
                    return FrameOutcome.Continue;
                case FrameParseResult.InvalidLength:
                    return RejectLength(session, length);
            }

            straddling.CopyTo(copy);
            outcome = session.Handle(copy.AsSpan(0, (int)straddling.Length));
            if (outcome != FrameOutcome.Continue)
            {
                return outcome;
            }
        }
    }

    private static FrameOutcome RejectLength(DaemonSession session, uint length) =>
        session.Reject($"frame length {length} is outside {VmsigWire.MinFrameLength}..{VmsigWire.MaxFrameLength}");

    private void OnSynced(DaemonSession session)
    {
        IsLive = true;
        _backoff.Reset();
        if (_lastSessionId is { } previous && previous != session.SessionId)
        {
            _log.LogInformation("the daemon restarted (session {Previous:x16} -> {Current:x16}); its replay is the roster now", previous, session.SessionId);
        }

        _lastSessionId = session.SessionId;
        _log.LogInformation("daemon {Endpoint} synced: {Occupied} endpoints occupied, {Changed} changed by the replay",
            _endpoint, CountOccupied(), session.ChangedAtSync);
        _onSynced();
    }

    private int CountOccupied()
    {
        var occupied = 0;
        for (var i = 0; i < RosterTable.SlotCount; i++)
        {
            if (_feed.Table[i].IsOccupied)
            {
                occupied++;
            }
        }

        return occupied;
    }
}
