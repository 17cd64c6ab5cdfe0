using System.Buffers.Binary;
using RosterBridge.Frames;
using Xunit;

namespace RosterBridge.Tests.Frames;

public class EventWriterTests
{
    private static byte[] Payload(byte[] wire) => wire[(4 + 24)..];

    [Fact]
    public void WriteEvent_writes_prefix_72_and_header_and_zeroes_the_payload()
    {
        var wire = new byte[EventWriter.WireSize + 4];
        Array.Fill(wire, (byte)0xAB);
        var header = new EventHeader(17, 1, 2, 5, 1, 42, 43);

        var payload = EventWriter.WriteEvent(wire, header);

        Assert.Equal(48, payload.Length);
        Assert.Equal(72u, BinaryPrimitives.ReadUInt32LittleEndian(wire));
        Assert.Equal(header, EventHeader.Read(wire.AsSpan(4)));
        Assert.All(wire[28..76], b => Assert.Equal(0, b));
        Assert.All(wire[76..], b => Assert.Equal(0xAB, b));
        payload[0] = 0x5A;
        Assert.Equal(0x5A, wire[28]);
    }

    [Fact]
    public void WriteHello_requests_version_1_and_the_capabilities()
    {
        var wire = new byte[EventWriter.WireSize];

        EventWriter.WriteHello(wire, Capabilities.Roster);

        Assert.Equal(
            [
                72, 0, 0, 0,             // length
                1, 0,                    // type HELLO
                2,                       // dir down
                0,                       // source none
                0xFF, 0xFF,              // no endpoint
                0, 0,                    // flags
                0, 0, 0, 0, 0, 0, 0, 0,  // seq
                0, 0, 0, 0, 0, 0, 0, 0,  // ts
            ],
            wire[..28]);
        var payload = Payload(wire);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(payload));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(4)));
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(8)));
        Assert.All(payload[16..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void WriteWelcome_carries_version_caps_and_session_id()
    {
        var wire = new byte[EventWriter.WireSize];

        EventWriter.WriteWelcome(wire, seq: 3, timestampNs: 4, Capabilities.Roster | Capabilities.MemCtx, sessionId: 0xDEADBEEF_CAFEF00D);

        var header = EventHeader.Read(wire.AsSpan(4));
        Assert.Equal(EventType.Welcome, header.EventType);
        Assert.Equal(VmsigWire.NoEndpoint, header.Endpoint);
        Assert.Equal(3UL, header.Seq);
        Assert.Equal(4UL, header.TimestampNs);
        var payload = Payload(wire);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(payload));
        Assert.Equal(3UL, BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(8)));
        Assert.Equal(0xDEADBEEF_CAFEF00DUL, BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(16)));
    }

    [Fact]
    public void WriteError_writes_code_and_NUL_terminated_message()
    {
        var wire = new byte[EventWriter.WireSize];

        EventWriter.WriteError(wire, 1, 2, DaemonErrorCode.CapabilityRefused, "no");

        var payload = Payload(wire);
        Assert.Equal(EventType.Error, EventHeader.Read(wire.AsSpan(4)).EventType);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(payload));
        Assert.Equal([(byte)'n', (byte)'o', 0], payload[4..7]);
    }

    [Fact]
    public void WriteError_cuts_a_long_message_and_keeps_the_last_byte_NUL()
    {
        var wire = new byte[EventWriter.WireSize];

        EventWriter.WriteError(wire, 1, 2, DaemonErrorCode.MalformedRequest, new string('x', 100));

        var payload = Payload(wire);
        Assert.All(payload[4..47], b => Assert.Equal((byte)'x', b));
        Assert.Equal(0, payload[47]);
    }

    [Fact]
    public void WriteSync_has_type_3_and_an_empty_payload()
    {
        var wire = new byte[EventWriter.WireSize];

        EventWriter.WriteSync(wire, 99, 100);

        var header = EventHeader.Read(wire.AsSpan(4));
        Assert.Equal(EventType.Sync, header.EventType);
        Assert.Equal(99UL, header.Seq);
        Assert.All(Payload(wire), b => Assert.Equal(0, b));
    }
}
