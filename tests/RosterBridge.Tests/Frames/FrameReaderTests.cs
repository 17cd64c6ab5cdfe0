using System.Buffers;
using System.Buffers.Binary;
using CsCheck;
using RosterBridge.Frames;
using Xunit;

namespace RosterBridge.Tests.Frames;

public class FrameReaderTests
{
    /// <summary>A frame on the wire: the u32 LE length prefix, then a body of distinct bytes.</summary>
    private static byte[] Frame(int bodyLength, byte fill = 0)
    {
        var frame = new byte[VmsigWire.LengthPrefixSize + bodyLength];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)bodyLength);
        for (var i = 0; i < bodyLength; i++)
        {
            frame[VmsigWire.LengthPrefixSize + i] = (byte)(fill + i);
        }

        return frame;
    }

    private static byte[] Body(byte[] frame) => frame[VmsigWire.LengthPrefixSize..];

    private static byte[] Prefix(uint length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(prefix, length);
        return prefix;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Fact]
    public void Whole_event_in_one_segment_is_read_and_the_buffer_advanced()
    {
        var wire = new byte[EventWriter.WireSize];
        EventWriter.WriteSync(wire, seq: 7, timestampNs: 9);
        var buffer = new ReadOnlySequence<byte>(wire);

        var result = FrameReader.TryRead(ref buffer, out var body, out var length);

        Assert.Equal(FrameParseResult.Frame, result);
        Assert.Equal(72u, length);
        Assert.Equal(wire[4..], body.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Empty_buffer_needs_more_data()
    {
        var buffer = ReadOnlySequence<byte>.Empty;

        Assert.Equal(FrameParseResult.NeedMoreData, FrameReader.TryRead(ref buffer, out var body, out var length));
        Assert.True(body.IsEmpty);
        Assert.Equal(0u, length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Part_of_the_length_prefix_needs_more_data_and_leaves_the_buffer(int have)
    {
        var frame = Frame(24);
        var buffer = new ReadOnlySequence<byte>(frame, 0, have);

        Assert.Equal(FrameParseResult.NeedMoreData, FrameReader.TryRead(ref buffer, out _, out _));
        Assert.Equal(have, buffer.Length);
    }

    [Fact]
    public void Part_of_the_body_needs_more_data_and_leaves_the_buffer_unchanged()
    {
        var frame = Frame(72);
        var original = new ReadOnlySequence<byte>(frame, 0, frame.Length - 1);
        var buffer = original;

        var result = FrameReader.TryRead(ref buffer, out var body, out var length);

        Assert.Equal(FrameParseResult.NeedMoreData, result);
        Assert.Equal(72u, length);
        Assert.True(body.IsEmpty);
        Assert.Equal(original.Start, buffer.Start);
        Assert.Equal(original.End, buffer.End);
    }

    [Fact]
    public void Frame_split_at_every_offset_into_two_segments_is_read_whole()
    {
        var frame = Frame(72, fill: 0x40);
        for (var cut = 0; cut <= frame.Length; cut++)
        {
            var buffer = SegmentedSequence.Split(frame, cut);
            Assert.False(buffer.IsSingleSegment);

            var result = FrameReader.TryRead(ref buffer, out var body, out var length);

            Assert.Equal(FrameParseResult.Frame, result);
            Assert.Equal(72u, length);
            Assert.Equal(Body(frame), body.ToArray());
            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void Frame_with_the_length_prefix_split_across_three_segments_is_read()
    {
        var frame = Frame(30, fill: 1);
        var buffer = SegmentedSequence.Split(frame, 1, 3, 20);

        Assert.Equal(FrameParseResult.Frame, FrameReader.TryRead(ref buffer, out var body, out var length));
        Assert.Equal(30u, length);
        Assert.Equal(Body(frame), body.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Frame_in_one_segment_per_byte_is_read()
    {
        var frame = Frame(72, fill: 0x80);
        var buffer = SegmentedSequence.ByteByByte(frame);

        Assert.Equal(FrameParseResult.Frame, FrameReader.TryRead(ref buffer, out var body, out _));
        Assert.Equal(Body(frame), body.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Stream_fed_one_byte_at_a_time_yields_each_frame_exactly_when_its_last_byte_arrives()
    {
        var frames = new[] { Frame(72, 0x10), Frame(24, 0x20), Frame(100, 0x30) };
        var wire = Concat(frames);
        var frameEnds = new HashSet<int> { 76, 76 + 28, 76 + 28 + 104 };
        var pending = new List<byte>();
        var read = new List<byte[]>();

        for (var i = 0; i < wire.Length; i++)
        {
            pending.Add(wire[i]);
            var buffer = SegmentedSequence.ByteByByte([.. pending]);
            var result = FrameReader.TryRead(ref buffer, out var body, out _);
            if (frameEnds.Contains(i + 1))
            {
                Assert.Equal(FrameParseResult.Frame, result);
                read.Add(body.ToArray());
                Assert.True(buffer.IsEmpty);
                pending.Clear();
            }
            else
            {
                Assert.Equal(FrameParseResult.NeedMoreData, result);
                Assert.Equal(pending.Count, buffer.Length);
            }
        }

        Assert.Equal(frames.Select(Body), read);
    }

    [Fact]
    public void Several_frames_in_one_buffer_are_read_in_order_then_the_partial_tail_waits()
    {
        var frames = new[] { Frame(24, 1), Frame(72, 2), Frame(4096, 3) };
        var tail = Frame(72, 4)[..10];
        var buffer = new ReadOnlySequence<byte>(Concat([.. frames, tail]));

        foreach (var frame in frames)
        {
            Assert.Equal(FrameParseResult.Frame, FrameReader.TryRead(ref buffer, out var body, out var length));
            Assert.Equal((uint)(frame.Length - 4), length);
            Assert.Equal(Body(frame), body.ToArray());
        }

        Assert.Equal(FrameParseResult.NeedMoreData, FrameReader.TryRead(ref buffer, out _, out _));
        Assert.Equal(tail, buffer.ToArray());
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(23u)]
    [InlineData(4097u)]
    [InlineData(65536u)]
    [InlineData(0x7FFF_FFFFu)]
    [InlineData(0x8000_0000u)]
    [InlineData(uint.MaxValue)]
    public void Length_outside_24_to_4096_is_invalid_from_the_prefix_alone(uint declared)
    {
        var original = new ReadOnlySequence<byte>(Prefix(declared));
        var buffer = original;

        var result = FrameReader.TryRead(ref buffer, out var body, out var length);

        Assert.Equal(FrameParseResult.InvalidLength, result);
        Assert.Equal(declared, length);
        Assert.True(body.IsEmpty);
        Assert.Equal(original.Start, buffer.Start);
        Assert.Equal(4, buffer.Length);
    }

    [Fact]
    public void Invalid_length_split_across_segments_is_still_invalid_at_once()
    {
        var buffer = SegmentedSequence.ByteByByte(Prefix(uint.MaxValue));

        Assert.Equal(FrameParseResult.InvalidLength, FrameReader.TryRead(ref buffer, out _, out var length));
        Assert.Equal(uint.MaxValue, length);
    }

    [Theory]
    [InlineData(24)]
    [InlineData(72)]
    [InlineData(4096)]
    public void Length_at_the_limits_waits_for_the_body_then_reads_it(int declared)
    {
        var frame = Frame(declared, 5);

        var onlyPrefix = new ReadOnlySequence<byte>(frame, 0, 4);
        Assert.Equal(FrameParseResult.NeedMoreData, FrameReader.TryRead(ref onlyPrefix, out _, out var waiting));
        Assert.Equal((uint)declared, waiting);

        var allButOne = new ReadOnlySequence<byte>(frame, 0, frame.Length - 1);
        Assert.Equal(FrameParseResult.NeedMoreData, FrameReader.TryRead(ref allButOne, out _, out _));

        var whole = new ReadOnlySequence<byte>(frame);
        Assert.Equal(FrameParseResult.Frame, FrameReader.TryRead(ref whole, out var body, out var length));
        Assert.Equal((uint)declared, length);
        Assert.Equal(declared, body.Length);
        Assert.Equal(Body(frame), body.ToArray());
    }

    [Fact]
    public void Bad_length_after_a_good_frame_is_reported_after_the_good_frame()
    {
        var good = Frame(72, 9);
        var buffer = new ReadOnlySequence<byte>(Concat(good, Prefix(23), new byte[23]));

        Assert.Equal(FrameParseResult.Frame, FrameReader.TryRead(ref buffer, out var body, out _));
        Assert.Equal(Body(good), body.ToArray());
        Assert.Equal(FrameParseResult.InvalidLength, FrameReader.TryRead(ref buffer, out _, out var length));
        Assert.Equal(23u, length);
        Assert.Equal(27, buffer.Length);
    }

    [Fact]
    public void Any_split_of_any_frames_yields_the_same_bodies()
    {
        var genFrames = Gen.Select(Gen.Int[24, 300], Gen.Byte, (length, fill) => Frame(length, fill)).Array[1, 6];
        Gen.Select(genFrames, Gen.Int[0, 1000].Array[0, 12]).Sample((frames, rawCuts) =>
        {
            var wire = Concat(frames);
            var cuts = rawCuts.Select(c => c % (wire.Length + 1)).Distinct().Order().ToArray();
            var buffer = SegmentedSequence.Split(wire, cuts);

            foreach (var frame in frames)
            {
                Assert.Equal(FrameParseResult.Frame, FrameReader.TryRead(ref buffer, out var body, out _));
                Assert.Equal(Body(frame), body.ToArray());
            }

            Assert.True(buffer.IsEmpty);
            Assert.Equal(FrameParseResult.NeedMoreData, FrameReader.TryRead(ref buffer, out _, out _));
        });
    }
}
