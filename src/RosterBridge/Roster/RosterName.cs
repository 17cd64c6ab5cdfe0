using System.Buffers;
using System.Text;

namespace RosterBridge.Roster;

/// <summary>Turns the datum's raw name bytes into text that is always valid to publish.</summary>
internal static class RosterName
{
    /// <summary>
    /// The name's bytes: up to the first NUL, or all 32 when there is none. When the daemon says it
    /// truncated the name, a multi-byte UTF-8 sequence left incomplete at the end is dropped.
    /// </summary>
    public static ReadOnlySpan<byte> Meaningful(ReadOnlySpan<byte> raw, bool truncated)
    {
        var nul = raw.IndexOf((byte)0);
        var name = nul >= 0 ? raw[..nul] : raw;
        return truncated ? name[..^IncompleteTailLength(name)] : name;
    }

    /// <summary>Decodes the name; any other invalid UTF-8 becomes U+FFFD, never invalid output.</summary>
    public static string Decode(ReadOnlySpan<byte> raw, bool truncated) =>
        Encoding.UTF8.GetString(Meaningful(raw, truncated));

    /// <summary>How many bytes at the end form the start of a UTF-8 sequence that the cut left incomplete.</summary>
    internal static int IncompleteTailLength(ReadOnlySpan<byte> name)
    {
        // A sequence is at most 4 bytes, so its lead byte is within the last 3 when it is incomplete.
        for (var back = 1; back <= Math.Min(3, name.Length); back++)
        {
            if ((name[^back] & 0xC0) != 0x80)
            {
                // The last byte that is no continuation: a cut sequence only when it and what follows
                // are a valid start that needs more bytes; anything else is invalid, not cut.
                return Rune.DecodeFromUtf8(name[^back..], out _, out _) == OperationStatus.NeedMoreData ? back : 0;
            }
        }

        return 0;
    }
}
