using System.Buffers;
using System.IO.Pipelines;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Daemon;

/// <summary>
/// One connection's frames, from a pipe into its <see cref="DaemonSession"/>: every whole frame of a
/// read is handled before the next read waits. No sockets: <see cref="DaemonClient"/> runs it over
/// the socket's stream, tests and the fuzzer over any pipe.
/// </summary>
internal sealed class DaemonReadLoop
{
    /// <summary>A daemon that accepts but does not finish its replay within this time is dropped.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    private readonly RosterFeed _feed;
    private readonly TimeProvider _time;
    private readonly byte[] _straddling = new byte[VmsigWire.MaxFrameLength]; // a frame across two pipe segments

    public DaemonReadLoop(RosterFeed feed, TimeProvider time)
    {
        _feed = feed;
        _time = time;
    }

    /// <summary>
    /// Reads until the connection ends, which it always does with an exception: <see cref="IOException"/>
    /// when the daemon closed, <see cref="DaemonProtocolException"/> when the connection must be dropped,
    /// <see cref="DaemonRefusedException"/> when retrying cannot help, or a cancellation.
    /// </summary>
    /// <param name="onSynced">Called at SYNC, before the frames after it are handled.</param>
    public async Task RunAsync(PipeReader reader, DaemonSession session, Action onSynced, CancellationToken cancellationToken)
    {
        using var handshakeLimit = new CancellationTokenSource(HandshakeTimeout, _time);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, handshakeLimit.Token);
        var readToken = handshake.Token;
        while (true)
        {
            if (session.Phase == SessionPhase.Live)
            {
                // A bounded outbox that is full holds the reader here, not inside an offer, so that
                // stopping still works. Not before SYNC: a replay offers nothing, and waiting then
                // would only run out the handshake limit.
                await _feed.WaitForRoomAsync(cancellationToken);
            }

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
            while (outcome == FrameOutcome.Synced)
            {
                readToken = cancellationToken; // live events may be far apart: no limit after SYNC
                onSynced();
                outcome = HandleFrames(session, ref buffer); // what came with SYNC is not left for the next read
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            ThrowIfFailed(session, outcome);
            if (read.IsCompleted)
            {
                throw new IOException(buffer.IsEmpty ? "the daemon closed the connection" : "the daemon closed the connection inside a frame");
            }
        }
    }

    /// <summary>Handles every whole frame in the buffer; stops early at SYNC or an error, past the frame that caused it.</summary>
    public FrameOutcome HandleFrames(DaemonSession session, ref ReadOnlySequence<byte> buffer)
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

    private static void ThrowIfFailed(DaemonSession session, FrameOutcome outcome)
    {
        if (outcome == FrameOutcome.DaemonError)
        {
            // A refusal is for good; other ERROR codes may pass, so they reconnect with backoff.
            if (session.ErrorCode is DaemonErrorCode.CapabilityRefused or DaemonErrorCode.VersionUnsupported or DaemonErrorCode.MalformedRequest)
            {
                throw new DaemonRefusedException(session.ErrorCode, session.Problem);
            }

            throw new DaemonProtocolException(session.Problem);
        }

        if (outcome == FrameOutcome.ProtocolError)
        {
            throw new DaemonProtocolException(session.Problem);
        }
    }
}
