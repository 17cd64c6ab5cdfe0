using System.Text;
using CsCheck;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.Roster;

public class RosterNameTests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A 32-byte name field holding <paramref name="bytes"/>, the rest NUL.</summary>
    private static byte[] Field(params byte[] bytes)
    {
        var field = new byte[RosterDatum.NameMax];
        bytes.CopyTo(field, 0);
        return field;
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void Name_ends_at_the_first_NUL()
    {
        var field = Field(Cat(Utf8("web-01"), [0], Utf8("junk")));

        Assert.Equal("web-01", RosterName.Decode(field, truncated: false));
        Assert.Equal(6, RosterName.Meaningful(field, truncated: false).Length);
    }

    [Fact]
    public void Leading_NUL_is_an_empty_name()
    {
        var field = Field(Cat([0], Utf8("hidden")));

        Assert.Equal(string.Empty, RosterName.Decode(field, truncated: false));
        Assert.Equal(string.Empty, RosterName.Decode(field, truncated: true));
    }

    [Fact]
    public void All_zero_field_is_an_empty_name()
    {
        Assert.Equal(string.Empty, RosterName.Decode(new byte[32], truncated: false));
    }

    [Fact]
    public void Without_a_NUL_all_32_bytes_are_the_name()
    {
        var field = Utf8("0123456789abcdefghijklmnopqrstuv");
        Assert.Equal(32, field.Length);

        Assert.Equal("0123456789abcdefghijklmnopqrstuv", RosterName.Decode(field, truncated: false));
        Assert.Equal("0123456789abcdefghijklmnopqrstuv", RosterName.Decode(field, truncated: true));
    }

    [Fact]
    public void Name_of_31_bytes_then_NUL_is_kept_whole()
    {
        var name = new string('n', 31);

        Assert.Equal(name, RosterName.Decode(Field(Utf8(name)), truncated: false));
    }

    [Theory]
    // 2-byte sequence (é = C3 A9) cut after 1 byte
    [InlineData("C3", 1)]
    // 3-byte sequence (€ = E2 82 AC) cut after 1 and 2 bytes
    [InlineData("E2", 1)]
    [InlineData("E282", 2)]
    // 4-byte sequence (😀 = F0 9F 98 80) cut after 1, 2 and 3 bytes
    [InlineData("F0", 1)]
    [InlineData("F09F", 2)]
    [InlineData("F09F98", 3)]
    public void Truncated_name_drops_the_cut_sequence(string cutHex, int dropped)
    {
        var cut = Convert.FromHexString(cutHex);
        var field = Field(Cat(Utf8("vm-é€"), cut));

        var meaningful = RosterName.Meaningful(field, truncated: true);

        Assert.Equal(Utf8("vm-é€").Length, meaningful.Length);
        Assert.Equal(dropped, RosterName.IncompleteTailLength(Cat(Utf8("vm-é€"), cut)));
        Assert.Equal("vm-é€", RosterName.Decode(field, truncated: true));
    }

    [Theory]
    [InlineData("C3")]
    [InlineData("E282")]
    [InlineData("F09F98")]
    public void Truncated_name_filling_all_32_bytes_drops_the_cut_sequence(string cutHex)
    {
        var cut = Convert.FromHexString(cutHex);
        var head = Utf8(new string('a', 32 - cut.Length));
        var field = Cat(head, cut);
        Assert.Equal(32, field.Length);

        Assert.Equal(new string('a', 32 - cut.Length), RosterName.Decode(field, truncated: true));
    }

    [Theory]
    [InlineData("C3", "vm-\uFFFD")]
    [InlineData("E282", "vm-\uFFFD")]
    [InlineData("F09F98", "vm-\uFFFD")]
    public void Cut_sequence_without_the_truncated_flag_becomes_U_FFFD(string cutHex, string expected)
    {
        var field = Field(Cat(Utf8("vm-"), Convert.FromHexString(cutHex)));

        Assert.Equal(expected, RosterName.Decode(field, truncated: false));
    }

    [Theory]
    [InlineData("é")]
    [InlineData("€")]
    [InlineData("😀")]
    [InlineData("z")]
    public void Truncated_name_ending_in_a_complete_character_keeps_it(string last)
    {
        var field = Field(Utf8("vm-" + last));

        Assert.Equal("vm-" + last, RosterName.Decode(field, truncated: true));
        Assert.Equal(0, RosterName.IncompleteTailLength(Utf8("vm-" + last)));
    }

    [Fact]
    public void Valid_multibyte_names_decode_unchanged()
    {
        const string name = "Zürich-€-😀-東京";

        Assert.Equal(name, RosterName.Decode(Field(Utf8(name)), truncated: false));
        Assert.Equal(name, RosterName.Decode(Field(Utf8(name)), truncated: true));
    }

    [Fact]
    public void Invalid_bytes_inside_the_name_become_U_FFFD_even_when_truncated()
    {
        var field = Field(Cat(Utf8("a"), [0xFF], Utf8("b"), [0xC3, 0x28], Utf8("c")));

        Assert.Equal("a\uFFFDb\uFFFD(c", RosterName.Decode(field, truncated: true));
        Assert.Equal("a\uFFFDb\uFFFD(c", RosterName.Decode(field, truncated: false));
    }

    [Theory]
    [InlineData("C0")]     // never valid (overlong lead)
    [InlineData("C1")]     // never valid (overlong lead)
    [InlineData("F5")]     // beyond U+10FFFF
    [InlineData("F7BFBF")] // beyond U+10FFFF
    [InlineData("E080")]   // overlong: E0 needs A0..BF next
    [InlineData("EDA0")]   // UTF-16 surrogate range
    [InlineData("F080")]   // overlong: F0 needs 90..BF next
    [InlineData("F490")]   // beyond U+10FFFF: F4 needs 80..8F next
    public void Invalid_tail_that_no_cut_of_valid_UTF8_leaves_becomes_U_FFFD_even_when_truncated(string tailHex)
    {
        // Cutting a valid UTF-8 name can only leave a valid-but-incomplete prefix at the end; these
        // bytes are no such prefix, so they are "other invalid UTF-8" and must show as U+FFFD.
        var bytes = Cat(Utf8("ab"), Convert.FromHexString(tailHex));
        var field = Field(bytes);

        var decoded = RosterName.Decode(field, truncated: true);

        Assert.Equal(Encoding.UTF8.GetString(bytes), decoded);
        Assert.Contains('\uFFFD', decoded);
        Assert.Equal(0, RosterName.IncompleteTailLength(bytes));
    }

    [Theory]
    [InlineData("E0A0")]
    [InlineData("ED9F")]
    [InlineData("C2")]
    [InlineData("DF")]
    [InlineData("F090")]
    [InlineData("F48F")]
    [InlineData("F48FBF")]
    public void Valid_but_incomplete_tail_at_the_edges_of_the_ranges_is_dropped_when_truncated(string tailHex)
    {
        var bytes = Cat(Utf8("ab"), Convert.FromHexString(tailHex));

        Assert.Equal("ab", RosterName.Decode(Field(bytes), truncated: true));
    }

    [Fact]
    public void Stray_continuation_byte_at_the_end_is_not_a_cut_sequence()
    {
        var field = Field(Cat(Utf8("ab"), [0x80]));

        Assert.Equal("ab\uFFFD", RosterName.Decode(field, truncated: true));
    }

    [Fact]
    public void Overlong_continuation_run_at_the_end_is_kept_as_U_FFFD()
    {
        // Four continuation bytes: no lead within reach, nothing a cut could explain.
        var field = Field(Cat(Utf8("ab"), [0x80, 0x80, 0x80, 0x80]));

        var decoded = RosterName.Decode(field, truncated: true);

        Assert.StartsWith("ab", decoded, StringComparison.Ordinal);
        Assert.All(decoded[2..], c => Assert.Equal('\uFFFD', c));
        Assert.Equal(4, decoded.Length - 2);
    }

    [Fact]
    public void Decoded_name_is_always_valid_UTF16_that_encodes_to_valid_UTF8()
    {
        Gen.Select(Gen.Byte.Array[32], Gen.Bool).Sample((field, truncated) =>
        {
            var decoded = RosterName.Decode(field, truncated);
            var bytes = StrictUtf8.GetBytes(decoded); // throws on a lone surrogate
            Assert.Equal(decoded, StrictUtf8.GetString(bytes));
            Assert.DoesNotContain('\0', decoded);
        });
    }

    [Fact]
    public void SetName_then_Decode_gives_the_name_or_its_longest_whole_character_prefix()
    {
        var pieces = Gen.OneOfConst("a", "Z", "-", "_", "é", "ß", "€", "東", "😀", "🇩🇪");
        pieces.Array[0, 24].Select(parts => string.Concat(parts)).Sample(name =>
        {
            var datum = new RosterDatum();
            datum.SetName(name);
            var decoded = RosterName.Decode(datum.Name, datum.NameTruncated);
            var length = Utf8(name).Length;

            if (length <= 31)
            {
                Assert.False(datum.NameTruncated);
                Assert.Equal(name, decoded);
            }
            else
            {
                Assert.True(datum.NameTruncated);
                Assert.StartsWith(decoded, name, StringComparison.Ordinal);
                Assert.DoesNotContain('\uFFFD', decoded);
                Assert.InRange(Utf8(decoded).Length, 31 - 3, 31);
            }
        });
    }
}
