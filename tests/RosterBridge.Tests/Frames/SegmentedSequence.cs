using System.Buffers;

namespace RosterBridge.Tests.Frames;

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> of several segments, as a pipe hands it over.</summary>
internal static class SegmentedSequence
{
    /// <summary>One segment per chunk, in order (chunks may be empty).</summary>
    public static ReadOnlySequence<byte> Of(params byte[][] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        for (var i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Cuts <paramref name="data"/> at the given offsets (ascending) into segments.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var chunks = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts)
        {
            chunks.Add(data[start..cut]);
            start = cut;
        }

        chunks.Add(data[start..]);
        return Of([.. chunks]);
    }

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> ByteByByte(byte[] data) =>
        data.Length == 0 ? ReadOnlySequence<byte>.Empty : Of(data.Select(b => new[] { b }).ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
