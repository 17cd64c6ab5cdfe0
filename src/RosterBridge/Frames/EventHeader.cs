using System.Buffers.Binary;

namespace RosterBridge.Frames;

/// <summary>The 24-byte header that starts every event (layout in <see cref="VmsigWire"/>).</summary>
internal readonly record struct EventHeader(
    ushort Type,
    byte Direction,
    byte Source,
    ushort Endpoint,
    ushort Flags,
    ulong Seq,
    ulong TimestampNs)
{
    public EventType EventType => (EventType)Type;

    public bool IsReplay => (Flags & VmsigWire.FlagReplay) != 0;

    public static EventHeader Read(ReadOnlySpan<byte> header) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(header[VmsigWire.TypeOffset..]),
        header[VmsigWire.DirectionOffset],
        header[VmsigWire.SourceOffset],
        BinaryPrimitives.ReadUInt16LittleEndian(header[VmsigWire.EndpointOffset..]),
        BinaryPrimitives.ReadUInt16LittleEndian(header[VmsigWire.FlagsOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(header[VmsigWire.SeqOffset..]),
        BinaryPrimitives.ReadUInt64LittleEndian(header[VmsigWire.TimestampOffset..]));

    public void Write(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(header[VmsigWire.TypeOffset..], Type);
        header[VmsigWire.DirectionOffset] = Direction;
        header[VmsigWire.SourceOffset] = Source;
        BinaryPrimitives.WriteUInt16LittleEndian(header[VmsigWire.EndpointOffset..], Endpoint);
        BinaryPrimitives.WriteUInt16LittleEndian(header[VmsigWire.FlagsOffset..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(header[VmsigWire.SeqOffset..], Seq);
        BinaryPrimitives.WriteUInt64LittleEndian(header[VmsigWire.TimestampOffset..], TimestampNs);
    }
}
