using System.Buffers;
using System.Text;
using MessagePack;
using RosterBridge.Cli;
using RosterBridge.Payload;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.Cli;

public sealed class MessagePackJsonTests
{
    [Theory]
    [InlineData("web-01", 3u)]
    [InlineData("entwicklungsumgebung-größe-über", 6u)]
    [InlineData("quote \" and \\ backslash", 42u)]
    public void A_payload_reads_as_MessagePackSerializer_ConvertToJson_reads_it(string name, uint state)
    {
        var datum = new RosterDatum { Vmid = 101, State = state };
        datum.SetName(name);
        var output = new ArrayBufferWriter<byte>();
        RosterPayload.WriteMessagePack(output, "pve1", 7, new SlotState(datum, RosterAction.Update, 1234, 1_764_000_000_123_456_789));

        Assert.Equal(MessagePackSerializer.ConvertToJson(output.WrittenMemory), MessagePackJson.Convert(output.WrittenMemory));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"node\":\"pve1\"}")]
    [InlineData("online")]
    public void Bytes_that_are_not_one_MessagePack_value_are_a_FormatException(string text)
    {
        Assert.Throws<FormatException>(() => MessagePackJson.Convert(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Nested_values_convert()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        writer.WriteMapHeader(3);
        writer.Write("list");
        writer.WriteArrayHeader(3);
        writer.WriteNil();
        writer.Write(true);
        writer.Write(ulong.MaxValue);
        writer.Write("neg");
        writer.Write(-5);
        writer.Write("pi");
        writer.Write(1.5);
        writer.Flush();

        Assert.Equal("{\"list\":[null,true,18446744073709551615],\"neg\":-5,\"pi\":1.5}", MessagePackJson.Convert(output.WrittenMemory));
    }
}
