using System.Buffers;
using BenchmarkDotNet.Attributes;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Benchmarks;

/// <summary>
/// (a) Cutting frames off the daemon's byte stream and decoding header and datum; and the same
/// followed by <see cref="RosterTable.Apply"/>, which is what the 20 million events/s target is about.
/// Cost per event.
/// </summary>
[MemoryDiagnoser]
public class FrameDecodeBenchmarks
{
    private ReadOnlySequence<byte> _stream;
    private RosterTable _table = new();

    [Params(StreamBuffer.OneArray, StreamBuffer.PipeSegments)]
    public StreamBuffer Buffer { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stream = Frames.Build(EventStream.LiveRosterEvents(EventStream.Count, firstSeq: 3), Buffer);
        _table = new RosterTable();
        Check.Equal(EventStream.Count, CountFrames(_stream), "frames in the pre-built stream");
    }

    /// <summary>FrameReader.TryRead + EventHeader.Read + RosterDatum.Read.</summary>
    [Benchmark(OperationsPerInvoke = EventStream.Count)]
    public ulong CutAndDecode()
    {
        var buffer = _stream;
        Span<byte> copy = stackalloc byte[VmsigWire.MaxFrameLength];
        ulong check = 0;
        while (FrameReader.TryRead(ref buffer, out var body, out _) == FrameParseResult.Frame)
        {
            var bytes = Frames.Contiguous(body, copy);
            var header = EventHeader.Read(bytes);
            var datum = RosterDatum.Read(bytes[VmsigWire.EventHeaderSize..]);
            check += header.Seq + header.Endpoint + datum.Vmid + datum.State + datum.Name[0];
        }

        return check;
    }

    /// <summary>The above, then RosterTable.Apply of every (live) event: decode + apply.</summary>
    [Benchmark(OperationsPerInvoke = EventStream.Count)]
    public int DecodeAndApply()
    {
        var table = _table;
        // A fresh connection: the stream's seqs count from the start again. 64 slots, once per 65,536 events.
        table.BeginReplay();
        table.CompleteReplay();

        var buffer = _stream;
        Span<byte> copy = stackalloc byte[VmsigWire.MaxFrameLength];
        var changed = 0;
        while (FrameReader.TryRead(ref buffer, out var body, out _) == FrameParseResult.Frame)
        {
            var bytes = Frames.Contiguous(body, copy);
            var header = EventHeader.Read(bytes);
            var datum = RosterDatum.Read(bytes[VmsigWire.EventHeaderSize..]);
            if (table.Apply(header, datum) == ApplyResult.Changed)
            {
                changed++;
            }
        }

        return changed;
    }

    private static int CountFrames(ReadOnlySequence<byte> buffer)
    {
        var frames = 0;
        while (FrameReader.TryRead(ref buffer, out _, out _) == FrameParseResult.Frame)
        {
            frames++;
        }

        return frames;
    }
}
