using System.Buffers.Binary;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Tests.Daemon;

/// <summary>Events as the daemon sends them: whole wire frames, or frame bodies for DaemonSession.Handle.</summary>
internal static class EventBytes
{
    public static byte[] Body(byte[] wire) => wire[VmsigWire.LengthPrefixSize..];

    public static byte[] Welcome(Capabilities granted = Capabilities.Roster, ulong sessionId = 0x1234_5678_9ABC_DEF0, ulong seq = 1)
    {
        var wire = new byte[EventWriter.WireSize];
        EventWriter.WriteWelcome(wire, seq, 1_000, granted, sessionId);
        return wire;
    }

    public static byte[] Sync(ulong seq = 100)
    {
        var wire = new byte[EventWriter.WireSize];
        EventWriter.WriteSync(wire, seq, 2_000);
        return wire;
    }

    public static byte[] Error(uint code, string message)
    {
        var wire = new byte[EventWriter.WireSize];
        EventWriter.WriteError(wire, 5, 3_000, (DaemonErrorCode)code, message);
        return wire;
    }

    public static byte[] RosterEvent(int endpoint, ulong seq, in RosterDatum datum, bool replay = false, ulong timestampNs = 0)
    {
        var wire = new byte[EventWriter.WireSize];
        var header = new EventHeader(
            (ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Host, (ushort)endpoint,
            replay ? VmsigWire.FlagReplay : (ushort)0, seq, timestampNs == 0 ? 1_700_000_000_000_000_000 + seq : timestampNs);
        datum.Write(EventWriter.WriteEvent(wire, header));
        return wire;
    }

    /// <summary>An event of any type with a body of <paramref name="payloadLength"/> payload bytes.</summary>
    public static byte[] Raw(ushort type, int payloadLength, ushort endpoint = VmsigWire.NoEndpoint, ulong seq = 0, byte fill = 0)
    {
        var wire = new byte[VmsigWire.LengthPrefixSize + VmsigWire.EventHeaderSize + payloadLength];
        BinaryPrimitives.WriteUInt32LittleEndian(wire, (uint)(VmsigWire.EventHeaderSize + payloadLength));
        new EventHeader(type, (byte)EventDirection.Up, (byte)EventSource.Core, endpoint, 0, seq, 0)
            .Write(wire.AsSpan(VmsigWire.LengthPrefixSize, VmsigWire.EventHeaderSize));
        wire.AsSpan(VmsigWire.LengthPrefixSize + VmsigWire.EventHeaderSize).Fill(fill);
        return wire;
    }
}
