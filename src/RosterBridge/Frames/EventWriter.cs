using System.Buffers.Binary;

namespace RosterBridge.Frames;

/// <summary>Writes whole events (length prefix, header, inline payload) as they travel on the wire.</summary>
internal static class EventWriter
{
    /// <summary>Bytes on the wire for one event: the length prefix and a 72-byte body.</summary>
    public const int WireSize = VmsigWire.LengthPrefixSize + VmsigWire.EventSize;

    /// <summary>Writes the length prefix and header, zeroes the inline payload and returns it to fill.</summary>
    public static Span<byte> WriteEvent(Span<byte> destination, in EventHeader header)
    {
        var frame = destination[..WireSize];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, VmsigWire.EventSize);
        header.Write(frame.Slice(VmsigWire.LengthPrefixSize, VmsigWire.EventHeaderSize));
        var payload = frame.Slice(VmsigWire.LengthPrefixSize + VmsigWire.EventHeaderSize, VmsigWire.InlinePayloadSize);
        payload.Clear();
        return payload;
    }

    public static void WriteHello(Span<byte> destination, Capabilities requested)
    {
        var header = new EventHeader(
            (ushort)EventType.Hello, (byte)EventDirection.Down, (byte)EventSource.None,
            VmsigWire.NoEndpoint, Flags: 0, Seq: 0, TimestampNs: 0);
        var payload = WriteEvent(destination, header);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[VmsigWire.HelloVersionOffset..], VmsigWire.ProtocolVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[VmsigWire.HelloCapsOffset..], (ulong)requested);
    }

    public static void WriteWelcome(Span<byte> destination, ulong seq, ulong timestampNs, Capabilities granted, ulong sessionId)
    {
        var header = new EventHeader(
            (ushort)EventType.Welcome, (byte)EventDirection.Up, (byte)EventSource.Core,
            VmsigWire.NoEndpoint, Flags: 0, seq, timestampNs);
        var payload = WriteEvent(destination, header);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[VmsigWire.HelloVersionOffset..], VmsigWire.ProtocolVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[VmsigWire.HelloCapsOffset..], (ulong)granted);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[VmsigWire.WelcomeSessionIdOffset..], sessionId);
    }

    public static void WriteSync(Span<byte> destination, ulong seq, ulong timestampNs)
    {
        var header = new EventHeader(
            (ushort)EventType.Sync, (byte)EventDirection.Up, (byte)EventSource.Core,
            VmsigWire.NoEndpoint, Flags: 0, seq, timestampNs);
        WriteEvent(destination, header);
    }

    public static void WriteError(Span<byte> destination, ulong seq, ulong timestampNs, DaemonErrorCode code, string message)
    {
        var header = new EventHeader(
            (ushort)EventType.Error, (byte)EventDirection.Up, (byte)EventSource.Core,
            VmsigWire.NoEndpoint, Flags: 0, seq, timestampNs);
        var payload = WriteEvent(destination, header);
        BinaryPrimitives.WriteUInt32LittleEndian(payload[VmsigWire.ErrorCodeOffset..], (uint)code);
        var text = payload[VmsigWire.ErrorMessageOffset..^1]; // keeps the last byte for the NUL
        System.Text.Encoding.ASCII.GetBytes(message.AsSpan(0, Math.Min(message.Length, text.Length)), text);
    }
}
