// This file breaks the one-type-per-file rule on purpose: every assumed constant and layout of
// the daemon's protocol lives here, so that the real vmsig_event.h is a one-file change.
namespace RosterBridge.Frames;

/// <summary>
/// Every ASSUMED constant and layout of the vmsig event stream, in one place.
/// </summary>
/// <remarks>
/// The daemon's own event header (<c>vmsig_event.h</c>) is not available to this project. What is
/// here follows the protocol RosterBridge assumes (docs/WIRE.md in this repository). When the real
/// header turns up, this file is the one to change. The roster datum itself is NOT assumed: it is
/// the daemon's published contract and lives in <see cref="Roster.RosterDatum"/>.
/// </remarks>
internal static class VmsigWire
{
    /// <summary>The frame's length prefix: u32, little-endian, counting the bytes that follow.</summary>
    public const int LengthPrefixSize = 4;

    /// <summary>A frame body shorter than an event header is a protocol error.</summary>
    public const int MinFrameLength = EventHeaderSize;

    /// <summary>A frame body longer than this is a protocol error; the reader never allocates more.</summary>
    public const int MaxFrameLength = 4096;

    public const int EventHeaderSize = 24;

    /// <summary>Every event type this bridge speaks carries exactly this much inline payload.</summary>
    public const int InlinePayloadSize = 48;

    /// <summary>Header (24) + inline payload (48): the body of every event the bridge reads or writes.</summary>
    public const int EventSize = EventHeaderSize + InlinePayloadSize;

    public const uint ProtocolVersion = 1;

    /// <summary>Endpoint slots are [0, EndpointCount).</summary>
    public const int EndpointCount = 64;

    /// <summary>The header's endpoint value for an event that is not about an endpoint.</summary>
    public const ushort NoEndpoint = 0xFFFF;

    // Event header field offsets (all little-endian).
    public const int TypeOffset = 0;      // u16
    public const int DirectionOffset = 2; // u8
    public const int SourceOffset = 3;    // u8
    public const int EndpointOffset = 4;  // u16
    public const int FlagsOffset = 6;     // u16
    public const int SeqOffset = 8;       // u64
    public const int TimestampOffset = 16; // u64, ns since the Unix epoch

    /// <summary>Header flag bit 0: a retained datum replayed to a late subscriber.</summary>
    public const ushort FlagReplay = 0x1;

    // HELLO / WELCOME inline payload offsets.
    public const int HelloVersionOffset = 0;   // u32
    public const int HelloReservedOffset = 4;  // u32
    public const int HelloCapsOffset = 8;      // u64
    public const int WelcomeSessionIdOffset = 16; // u64

    // ERROR inline payload: u32 code, then a NUL-terminated ASCII message in the remaining bytes.
    public const int ErrorCodeOffset = 0;
    public const int ErrorMessageOffset = 4;

    /// <summary>The names of <see cref="VmState"/>, by value. A value outside the table is passed on as its number.</summary>
    private static readonly string[] VmStateNames =
    [
        "unknown",   // VmState.Unknown
        "stopped",   // VmState.Stopped
        "starting",  // VmState.Starting
        "running",   // VmState.Running
        "paused",    // VmState.Paused
        "suspended", // VmState.Suspended
        "stopping",  // VmState.Stopping
        "migrating", // VmState.Migrating
        "crashed",   // VmState.Crashed
    ];

    /// <summary>The state's name, or <c>state_N</c> for a value the assumed table does not know.</summary>
    public static string VmStateName(uint state) =>
        state < (uint)VmStateNames.Length ? VmStateNames[state] : UnknownStateName(state);

    private static string UnknownStateName(uint state) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"state_{state}");
}

/// <summary>VMSIG_VM_* lifecycle states (assumed values; their names are in <see cref="VmsigWire.VmStateName"/>).</summary>
internal static class VmState
{
    public const uint Unknown = 0;
    public const uint Stopped = 1;
    public const uint Starting = 2;
    public const uint Running = 3;
    public const uint Paused = 4;
    public const uint Suspended = 5;
    public const uint Stopping = 6;
    public const uint Migrating = 7;
    public const uint Crashed = 8;

    /// <summary>One past the highest known state.</summary>
    public const uint Count = 9;
}

/// <summary>VMSIG_EV_* event types (assumed values).</summary>
internal enum EventType : ushort
{
    Hello = 1,
    Welcome = 2,
    Sync = 3,
    Error = 4,
    MemCtx = 16,
    Roster = 17,
}

/// <summary>Which way an event travels (assumed values).</summary>
internal enum EventDirection : byte
{
    Up = 1,   // daemon → subscriber
    Down = 2, // subscriber → daemon
}

/// <summary>Who produced an event (assumed values).</summary>
internal enum EventSource : byte
{
    None = 0,
    Core = 1,
    Host = 2,
    Guest = 3,
}

/// <summary>Capability bits requested in HELLO and granted in WELCOME (assumed values).</summary>
[Flags]
internal enum Capabilities : ulong
{
    None = 0,
    MemCtx = 1UL << 0,
    Roster = 1UL << 1,
}

/// <summary>Codes the daemon sends in an ERROR event before it closes (assumed values).</summary>
internal enum DaemonErrorCode : uint
{
    CapabilityRefused = 1,
    VersionUnsupported = 2,
    MalformedRequest = 3,
}
