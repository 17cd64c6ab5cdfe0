using System.Text;
using CsCheck;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.Roster;

public class RosterDatumTests
{
    private static byte[] HandWritten()
    {
        var bytes = new byte[48];
        byte[] head =
        [
            0x04, 0x03, 0x02, 0x01, // vmid 0x01020304
            0x2A, 0x00, 0x00, 0x00, // state 42
            0x02, 0x00, 0x00, 0x00, // action UPDATE
            0x01, 0x00, 0x00, 0x80, // flags NAME_TRUNC | bit 31
        ];
        head.CopyTo(bytes, 0);
        Encoding.ASCII.GetBytes("web-01").CopyTo(bytes, 16);
        bytes[47] = 0x7E; // after the NUL: junk that is kept in the raw field
        return bytes;
    }

    [Fact]
    public void Read_takes_each_field_from_its_offset()
    {
        var datum = RosterDatum.Read(HandWritten());

        Assert.Equal(0x01020304u, datum.Vmid);
        Assert.Equal(42u, datum.State);
        Assert.Equal((uint)RosterAction.Update, datum.Action);
        Assert.Equal(0x80000001u, datum.Flags);
        Assert.True(datum.NameTruncated);
        Assert.Equal(HandWritten()[16..], ((ReadOnlySpan<byte>)datum.Name).ToArray());
        Assert.Equal("web-01", Datums.NameOf(datum));
    }

    [Fact]
    public void Write_gives_back_the_hand_written_bytes()
    {
        var bytes = new byte[48];

        RosterDatum.Read(HandWritten()).Write(bytes);

        Assert.Equal(HandWritten(), bytes);
    }

    [Fact]
    public void Read_ignores_bytes_after_48()
    {
        var longer = HandWritten().Concat(Enumerable.Repeat((byte)0xFF, 16)).ToArray();
        var bytes = new byte[48];

        RosterDatum.Read(longer).Write(bytes);

        Assert.Equal(HandWritten(), bytes);
    }

    [Fact]
    public void Constants_match_vmsig_roster_h()
    {
        Assert.Equal(48, RosterDatum.Size);
        Assert.Equal(32, RosterDatum.NameMax);
        Assert.Equal(1u, RosterDatum.FlagNameTruncated);
        Assert.Equal(0u, (uint)RosterAction.Attach);
        Assert.Equal(1u, (uint)RosterAction.Detach);
        Assert.Equal(2u, (uint)RosterAction.Update);
    }

    [Fact]
    public void SetName_that_fits_in_31_bytes_is_NUL_padded_and_not_flagged()
    {
        var datum = new RosterDatum { Flags = RosterDatum.FlagNameTruncated | 0x4 };

        datum.SetName(new string('x', 31));

        var name = ((ReadOnlySpan<byte>)datum.Name).ToArray();
        Assert.All(name[..31], b => Assert.Equal((byte)'x', b));
        Assert.Equal(0, name[31]);
        Assert.Equal(0x4u, datum.Flags);
    }

    [Fact]
    public void SetName_of_32_bytes_is_cut_to_31_and_flagged_keeping_other_flags()
    {
        var datum = new RosterDatum { Flags = 0x4 };

        datum.SetName(new string('y', 32));

        var name = ((ReadOnlySpan<byte>)datum.Name).ToArray();
        Assert.All(name[..31], b => Assert.Equal((byte)'y', b));
        Assert.Equal(0, name[31]);
        Assert.Equal(0x5u, datum.Flags);
    }

    [Fact]
    public void SetName_clears_what_a_longer_name_left()
    {
        var datum = new RosterDatum();
        datum.SetName(new string('z', 40));

        datum.SetName("ab");

        Assert.Equal("ab", Datums.NameOf(datum));
        Assert.All(((ReadOnlySpan<byte>)datum.Name)[2..].ToArray(), b => Assert.Equal(0, b));
        Assert.False(datum.NameTruncated);
    }

    [Fact]
    public void Read_then_Write_round_trips_any_48_bytes()
    {
        Gen.Byte.Array[48].Sample(bytes =>
        {
            var written = new byte[48];
            RosterDatum.Read(bytes).Write(written);
            Assert.Equal(bytes, written);
        });
    }
}
