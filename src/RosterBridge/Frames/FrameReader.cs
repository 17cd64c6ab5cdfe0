using System.Buffers;
using System.Buffers.Binary;

namespace RosterBridge.Frames;

/// <summary>Cuts length-prefixed frames off a byte sequence, without copying or allocating.</summary>
internal static class FrameReader
{
    /// <summary>
    /// Takes one frame off the front of <paramref name="buffer"/>. On <see cref="FrameParseResult.Frame"/>,
    /// <paramref name="body"/> is the frame body (header and payload, length prefix excluded) and
    /// <paramref name="buffer"/> is advanced past it. Otherwise <paramref name="buffer"/> is unchanged.
    /// </summary>
    /// <param name="declaredLength">The length prefix when it was read, so that an invalid one can be reported.</param>
    public static FrameParseResult TryRead(
        ref ReadOnlySequence<byte> buffer,
        out ReadOnlySequence<byte> body,
        out uint declaredLength)
    {
        body = default;
        declaredLength = 0;
        if (buffer.Length < VmsigWire.LengthPrefixSize)
        {
            return FrameParseResult.NeedMoreData;
        }

        Span<byte> prefix = stackalloc byte[VmsigWire.LengthPrefixSize];
        buffer.Slice(0, VmsigWire.LengthPrefixSize).CopyTo(prefix);
        declaredLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix);

        // Checked before anything waits for, or sizes a buffer by, the claimed length.
        if (declaredLength is < VmsigWire.MinFrameLength or > VmsigWire.MaxFrameLength)
        {
            return FrameParseResult.InvalidLength;
        }

        long frameLength = VmsigWire.LengthPrefixSize + declaredLength;
        if (buffer.Length < frameLength)
        {
            return FrameParseResult.NeedMoreData;
        }

        body = buffer.Slice(VmsigWire.LengthPrefixSize, declaredLength);
        buffer = buffer.Slice(frameLength);
        return FrameParseResult.Frame;
    }

    /// <summary>
    /// Takes one frame off the front of a contiguous span: on <see cref="FrameParseResult.Frame"/>,
    /// <paramref name="body"/> is the frame body and <paramref name="span"/> is advanced past it.
    /// </summary>
    public static FrameParseResult TryRead(
        ref ReadOnlySpan<byte> span,
        out ReadOnlySpan<byte> body,
        out uint declaredLength)
    {
        body = default;
        if (span.Length < VmsigWire.LengthPrefixSize)
        {
            declaredLength = 0;
            return FrameParseResult.NeedMoreData;
        }

        declaredLength = BinaryPrimitives.ReadUInt32LittleEndian(span);
        if (declaredLength is < VmsigWire.MinFrameLength or > VmsigWire.MaxFrameLength)
        {
            return FrameParseResult.InvalidLength;
        }

        var frameLength = VmsigWire.LengthPrefixSize + (int)declaredLength;
        if (span.Length < frameLength)
        {
            return FrameParseResult.NeedMoreData;
        }

        body = span.Slice(VmsigWire.LengthPrefixSize, (int)declaredLength);
        span = span[frameLength..];
        return FrameParseResult.Frame;
    }
}
