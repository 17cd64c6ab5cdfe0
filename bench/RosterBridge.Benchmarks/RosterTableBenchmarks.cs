using System.Buffers;
using BenchmarkDotNet.Attributes;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Benchmarks;

/// <summary>(b) <see cref="RosterTable.Apply"/> of live events, decoded beforehand. Cost per event.</summary>
[MemoryDiagnoser]
public class RosterTableBenchmarks
{
    private EventHeader[] _headers = [];
    private RosterDatum[] _datums = [];
    private RosterTable _table = new();

    [GlobalSetup]
    public void Setup()
    {
        var buffer = new ReadOnlySequence<byte>(EventStream.LiveRosterEvents(EventStream.Count, firstSeq: 3));
        _headers = new EventHeader[EventStream.Count];
        _datums = new RosterDatum[EventStream.Count];
        var i = 0;
        while (FrameReader.TryRead(ref buffer, out var body, out _) == FrameParseResult.Frame)
        {
            _headers[i] = EventHeader.Read(body.FirstSpan);
            _datums[i] = RosterDatum.Read(body.FirstSpan[VmsigWire.EventHeaderSize..]);
            i++;
        }

        Check.Equal(EventStream.Count, i, "events decoded");

        // Every event must be taken as live (Changed, or Unchanged for a DETACH of a vacant slot),
        // not rejected, or the benchmark would measure the rejection path.
        _table = new RosterTable();
        _table.BeginReplay();
        _table.CompleteReplay();
        var taken = 0;
        for (var e = 0; e < _headers.Length; e++)
        {
            if (_table.Apply(_headers[e], _datums[e]) is ApplyResult.Changed or ApplyResult.Unchanged)
            {
                taken++;
            }
        }

        Check.Equal(EventStream.Count, taken, "live events the table took");
    }

    [Benchmark(OperationsPerInvoke = EventStream.Count)]
    public int Apply()
    {
        var table = _table;
        // A fresh connection: the seqs count from the start again. 64 slots, once per 65,536 events.
        table.BeginReplay();
        table.CompleteReplay();

        var headers = _headers;
        var datums = _datums;
        var changed = 0;
        for (var i = 0; i < headers.Length; i++)
        {
            if (table.Apply(headers[i], datums[i]) == ApplyResult.Changed)
            {
                changed++;
            }
        }

        return changed;
    }
}
