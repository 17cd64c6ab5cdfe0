using CsCheck;
using RosterBridge.Frames;
using Xunit;

namespace RosterBridge.Tests.Frames;

public class EventHeaderTests
{
    // type 0x1234, dir 0x01, source 0x03, endpoint 0x0A0B, flags 0x0001 (REPLAY),
    // seq 0x0102030405060708, ts_ns 0x1122334455667788, all little-endian.
    private static readonly byte[] HandWritten =
    [
        0x34, 0x12,                                     // 0: u16 type
        0x01,                                           // 2: u8 dir
        0x03,                                           // 3: u8 source
        0x0B, 0x0A,                                     // 4: u16 endpoint
        0x01, 0x00,                                     // 6: u16 flags
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // 8: u64 seq
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, // 16: u64 ts_ns
    ];

    private static readonly EventHeader Expected = new(
        Type: 0x1234, Direction: 0x01, Source: 0x03, Endpoint: 0x0A0B, Flags: 0x0001,
        Seq: 0x0102030405060708, TimestampNs: 0x1122334455667788);

    [Fact]
    public void Layout_constants_match_the_wire_description()
    {
        Assert.Equal(24, VmsigWire.EventHeaderSize);
        Assert.Equal(48, VmsigWire.InlinePayloadSize);
        Assert.Equal(72, VmsigWire.EventSize);
        Assert.Equal(76, EventWriter.WireSize);
        Assert.Equal(24, VmsigWire.MinFrameLength);
        Assert.Equal(4096, VmsigWire.MaxFrameLength);
        Assert.Equal(
            [0, 2, 3, 4, 6, 8, 16],
            new[] { VmsigWire.TypeOffset, VmsigWire.DirectionOffset, VmsigWire.SourceOffset, VmsigWire.EndpointOffset, VmsigWire.FlagsOffset, VmsigWire.SeqOffset, VmsigWire.TimestampOffset });
        Assert.Equal(1, (int)EventType.Hello);
        Assert.Equal(2, (int)EventType.Welcome);
        Assert.Equal(3, (int)EventType.Sync);
        Assert.Equal(4, (int)EventType.Error);
        Assert.Equal(16, (int)EventType.MemCtx);
        Assert.Equal(17, (int)EventType.Roster);
        Assert.Equal(2UL, (ulong)Capabilities.Roster);
        Assert.Equal(1, VmsigWire.FlagReplay);
    }

    [Fact]
    public void Read_takes_every_field_from_its_offset()
    {
        var header = EventHeader.Read(HandWritten);

        Assert.Equal(Expected, header);
        Assert.Equal((ushort)0x1234, header.Type);
        Assert.Equal((byte)0x01, header.Direction);
        Assert.Equal((byte)0x03, header.Source);
        Assert.Equal((ushort)0x0A0B, header.Endpoint);
        Assert.Equal((ushort)0x0001, header.Flags);
        Assert.Equal(0x0102030405060708UL, header.Seq);
        Assert.Equal(0x1122334455667788UL, header.TimestampNs);
        Assert.True(header.IsReplay);
    }

    [Fact]
    public void Write_puts_every_field_at_its_offset_and_nothing_else()
    {
        var bytes = new byte[26];
        Array.Fill(bytes, (byte)0xEE);

        Expected.Write(bytes.AsSpan(0, 24));

        Assert.Equal(HandWritten, bytes[..24]);
        Assert.Equal([0xEE, 0xEE], bytes[24..]);
    }

    [Fact]
    public void Read_ignores_bytes_after_the_header()
    {
        var longer = HandWritten.Concat(Enumerable.Repeat((byte)0xFF, 48)).ToArray();

        Assert.Equal(Expected, EventHeader.Read(longer));
    }

    [Theory]
    [InlineData((ushort)0x0000, false)]
    [InlineData((ushort)0x0001, true)]
    [InlineData((ushort)0x0002, false)]
    [InlineData((ushort)0xFFFE, false)]
    [InlineData((ushort)0xFFFF, true)]
    public void IsReplay_is_flag_bit_0_only(ushort flags, bool replay)
    {
        Assert.Equal(replay, (Expected with { Flags = flags }).IsReplay);
    }

    [Fact]
    public void EventType_is_the_type_field()
    {
        Assert.Equal(EventType.Roster, (Expected with { Type = 17 }).EventType);
        Assert.Equal(EventType.MemCtx, (Expected with { Type = 16 }).EventType);
        Assert.Equal((EventType)999, (Expected with { Type = 999 }).EventType);
    }

    [Fact]
    public void Write_then_Read_round_trips_any_header()
    {
        Gen.Select(Gen.UShort, Gen.Byte, Gen.Byte, Gen.UShort, Gen.UShort, Gen.ULong, Gen.ULong)
            .Sample((type, dir, source, endpoint, flags, seq, ts) =>
            {
                var header = new EventHeader(type, dir, source, endpoint, flags, seq, ts);
                var bytes = new byte[VmsigWire.EventHeaderSize];
                header.Write(bytes);
                Assert.Equal(header, EventHeader.Read(bytes));
                Assert.Equal((byte)type, bytes[0]);
                Assert.Equal((byte)(seq >> 56), bytes[15]);
                Assert.Equal((byte)(ts >> 56), bytes[23]);
            });
    }
}
