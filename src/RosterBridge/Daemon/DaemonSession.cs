using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Roster;

namespace RosterBridge.Daemon;

/// <summary>
/// One daemon connection's protocol, from frame bodies: the handshake, the replay, SYNC and live
/// events. No I/O, so it is tested from bytes. Bad events are counted and logged (rate-limited)
/// and never reach the roster.
/// </summary>
internal sealed class DaemonSession
{
    private readonly RosterFeed _feed;
    private readonly BridgeCounters _counters;
    private readonly RateLimitedLog _badInput;

    public DaemonSession(RosterFeed feed, BridgeCounters counters, RateLimitedLog badInput)
    {
        _feed = feed;
        _counters = counters;
        _badInput = badInput;
    }

    public SessionPhase Phase { get; private set; } = SessionPhase.AwaitingWelcome;

    public ulong SessionId { get; private set; }

    /// <summary>After <see cref="FrameOutcome.ProtocolError"/> or <see cref="FrameOutcome.DaemonError"/>: what happened.</summary>
    public string Problem { get; private set; } = string.Empty;

    /// <summary>After <see cref="FrameOutcome.DaemonError"/>: the daemon's code.</summary>
    public DaemonErrorCode ErrorCode { get; private set; }

    /// <summary>After <see cref="FrameOutcome.Synced"/>: how many slots the replay changed.</summary>
    public int ChangedAtSync { get; private set; }

    public FrameOutcome Handle(ReadOnlySpan<byte> body)
    {
        _counters.Frame();
        var header = EventHeader.Read(body);
        _counters.Event(header.EventType switch
        {
            EventType.Roster => EventKind.Roster,
            EventType.Welcome => EventKind.Welcome,
            EventType.Sync => EventKind.Sync,
            EventType.Error => EventKind.Error,
            EventType.MemCtx => EventKind.MemCtx,
            _ => EventKind.Other,
        });
        var payload = body[VmsigWire.EventHeaderSize..];
        switch (header.EventType)
        {
            case EventType.Roster:
                return HandleRoster(header, payload);
            case EventType.Welcome:
                return HandleWelcome(payload);
            case EventType.Sync:
                return HandleSync();
            case EventType.Error:
                return HandleError(payload);
            default:
                // MEMCTX and types this bridge does not know: not for us, never fatal.
                _counters.Skipped();
                return FrameOutcome.Continue;
        }
    }

    private FrameOutcome HandleWelcome(ReadOnlySpan<byte> payload)
    {
        if (Phase != SessionPhase.AwaitingWelcome)
        {
            return Fail("a second WELCOME on one connection");
        }

        if (payload.Length < VmsigWire.InlinePayloadSize)
        {
            return Fail($"WELCOME with {payload.Length} payload bytes, {VmsigWire.InlinePayloadSize} expected");
        }

        var granted = (Capabilities)BinaryPrimitives.ReadUInt64LittleEndian(payload[VmsigWire.HelloCapsOffset..]);
        if ((granted & Capabilities.Roster) == 0)
        {
            ErrorCode = DaemonErrorCode.CapabilityRefused;
            Problem = "the daemon did not grant CAP_ROSTER: this subscriber may not receive the roster";
            return FrameOutcome.DaemonError;
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(payload[VmsigWire.HelloVersionOffset..]);
        if (version != VmsigWire.ProtocolVersion)
        {
            // The daemon answered HELLO version 1 with another version instead of refusing: go on,
            // since every layout this bridge reads is version 1's, but say so.
            _badInput.Warn(string.Create(CultureInfo.InvariantCulture,
                $"the daemon's WELCOME says protocol version {version}; this bridge speaks {VmsigWire.ProtocolVersion}"));
        }

        SessionId = BinaryPrimitives.ReadUInt64LittleEndian(payload[VmsigWire.WelcomeSessionIdOffset..]);
        Phase = SessionPhase.Replaying;
        _feed.BeginReplay();
        return FrameOutcome.Continue;
    }

    private FrameOutcome HandleSync()
    {
        if (Phase != SessionPhase.Replaying)
        {
            return Phase == SessionPhase.AwaitingWelcome ? Fail("SYNC before WELCOME") : Fail("a second SYNC on one connection");
        }

        Phase = SessionPhase.Live;
        ChangedAtSync = _feed.CompleteReplay();
        _counters.Synced();
        return FrameOutcome.Synced;
    }

    private FrameOutcome HandleRoster(in EventHeader header, ReadOnlySpan<byte> payload)
    {
        if (Phase == SessionPhase.AwaitingWelcome)
        {
            return Fail("ROSTER before WELCOME");
        }

        if (payload.Length < RosterDatum.Size)
        {
            _counters.RejectedLength();
            _badInput.Warn(string.Create(CultureInfo.InvariantCulture,
                $"ROSTER seq {header.Seq} rejected: {payload.Length} payload bytes, {RosterDatum.Size} expected"));
            return FrameOutcome.Continue;
        }

        var datum = RosterDatum.Read(payload);
        var result = _feed.Apply(header, datum);
        switch (result)
        {
            case ApplyResult.BadEndpoint:
                _counters.RejectedEndpoint();
                _badInput.Warn(string.Create(CultureInfo.InvariantCulture,
                    $"ROSTER seq {header.Seq} rejected: endpoint {header.Endpoint} is outside [0,{VmsigWire.EndpointCount})"));
                break;
            case ApplyResult.BadAction:
                _counters.RejectedAction();
                _badInput.Warn(string.Create(CultureInfo.InvariantCulture,
                    $"ROSTER seq {header.Seq} for endpoint {header.Endpoint} rejected: unknown action {datum.Action}"));
                break;
            case ApplyResult.Stale:
                _counters.RejectedStale();
                _badInput.Warn(string.Create(CultureInfo.InvariantCulture,
                    $"ROSTER seq {header.Seq} for endpoint {header.Endpoint} rejected: not newer than an event already applied"));
                break;
            default:
                _counters.RosterEvent();
                break;
        }

        return FrameOutcome.Continue;
    }

    private FrameOutcome HandleError(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < VmsigWire.ErrorMessageOffset)
        {
            ErrorCode = 0;
            Problem = "the daemon sent ERROR without a code";
            return FrameOutcome.DaemonError;
        }

        ErrorCode = (DaemonErrorCode)BinaryPrimitives.ReadUInt32LittleEndian(payload[VmsigWire.ErrorCodeOffset..]);
        var text = payload[VmsigWire.ErrorMessageOffset..];
        var nul = text.IndexOf((byte)0);
        var message = Encoding.ASCII.GetString(nul >= 0 ? text[..nul] : text);
        var meaning = ErrorCode switch
        {
            DaemonErrorCode.CapabilityRefused => "capability refused",
            DaemonErrorCode.VersionUnsupported => "version unsupported",
            DaemonErrorCode.MalformedRequest => "malformed request",
            _ => "unknown code",
        };
        Problem = string.Create(CultureInfo.InvariantCulture, $"the daemon sent ERROR {(uint)ErrorCode} ({meaning}): {message}");
        return FrameOutcome.DaemonError;
    }

    /// <summary>The frame reader found a frame that cannot be read: a protocol error.</summary>
    public FrameOutcome Reject(string problem) => Fail(problem);

    private FrameOutcome Fail(string problem)
    {
        Problem = problem;
        _counters.ProtocolError();
        return FrameOutcome.ProtocolError;
    }
}
