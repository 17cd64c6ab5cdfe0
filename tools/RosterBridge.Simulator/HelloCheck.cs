using System.Buffers.Binary;
using RosterBridge.Frames;

namespace RosterBridge.Simulate;

/// <summary>How the emulated daemon judges a subscriber's HELLO frame body (header and payload).</summary>
internal static class HelloCheck
{
    /// <summary>Capabilities the emulated daemon can grant.</summary>
    public const Capabilities Supported = Capabilities.Roster | Capabilities.MemCtx;

    /// <summary>
    /// True when <paramref name="body"/> is a HELLO this daemon accepts; <paramref name="granted"/> is
    /// then what it asked for and the daemon supports. Otherwise <paramref name="code"/> and
    /// <paramref name="message"/> say what to send in the ERROR.
    /// </summary>
    public static bool Validate(
        ReadOnlySpan<byte> body,
        out Capabilities granted,
        out DaemonErrorCode code,
        out string message)
    {
        granted = Capabilities.None;
        code = DaemonErrorCode.MalformedRequest;
        if (body.Length < VmsigWire.EventSize)
        {
            message = $"HELLO of {body.Length} bytes, {VmsigWire.EventSize} expected";
            return false;
        }

        var header = EventHeader.Read(body);
        if (header.EventType != EventType.Hello || header.Direction != (byte)EventDirection.Down)
        {
            message = $"expected HELLO (type {(ushort)EventType.Hello}, DOWN), got type {header.Type} dir {header.Direction}";
            return false;
        }

        var payload = body.Slice(VmsigWire.EventHeaderSize, VmsigWire.InlinePayloadSize);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(payload[VmsigWire.HelloVersionOffset..]);
        if (version != VmsigWire.ProtocolVersion)
        {
            code = DaemonErrorCode.VersionUnsupported;
            message = $"protocol version {version} unsupported, {VmsigWire.ProtocolVersion} spoken";
            return false;
        }

        var requested = (Capabilities)BinaryPrimitives.ReadUInt64LittleEndian(payload[VmsigWire.HelloCapsOffset..]);
        if ((requested & Capabilities.Roster) == 0)
        {
            code = DaemonErrorCode.CapabilityRefused;
            message = "this daemon serves CAP_ROSTER subscribers only";
            return false;
        }

        granted = requested & Supported;
        code = 0;
        message = string.Empty;
        return true;
    }
}
