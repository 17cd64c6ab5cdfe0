using System.Buffers;

namespace RosterBridge.Benchmarks;

internal static class Frames
{
    public static ReadOnlySequence<byte> Build(byte[] wire, StreamBuffer layout) =>
        EventStream.AsSequence(wire, layout == StreamBuffer.PipeSegments ? EventStream.PipeSegmentSize : 0);

    /// <summary>
    /// The frame body as one span, exactly as DaemonReadLoop.HandleFrames gets it: the segment's own
    /// bytes when the body lies in one segment, otherwise a copy into <paramref name="copy"/>.
    /// </summary>
    public static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> body, Span<byte> copy)
    {
        if (body.IsSingleSegment)
        {
            return body.FirstSpan;
        }

        body.CopyTo(copy);
        return copy[..(int)body.Length];
    }
}
