using System.Buffers;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Roster;

namespace RosterBridge.Benchmarks;

/// <summary>
/// (c) The whole per-event path of a live connection: frame → <see cref="DaemonSession.Handle"/>
/// (counters, header, datum) → <see cref="RosterFeed"/> → <see cref="RosterTable"/> → an offer to
/// each of two <see cref="SinkOutbox"/>es (MQTT and NATS), which coalesce. Nothing takes from the
/// outboxes, as when both brokers lag behind a burst: every slot stays queued and each offer only
/// replaces the slot's desired state. Cost per event.
/// </summary>
[MemoryDiagnoser]
public class SessionPathBenchmarks
{
    private ReadOnlySequence<byte> _stream;
    private RosterFeed _feed = null!;
    private DaemonSession _session = null!;
    private BridgeCounters _counters = new();

    [Params(StreamBuffer.OneArray, StreamBuffer.PipeSegments)]
    public StreamBuffer Buffer { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stream = Frames.Build(EventStream.LiveRosterEvents(EventStream.Count, firstSeq: 3), Buffer);
        _counters = new BridgeCounters();
        _feed = new RosterFeed(new RosterTable(), [new SinkOutbox(), new SinkOutbox()]);
        _session = new DaemonSession(_feed, _counters, new RateLimitedLog(NullLogger.Instance));

        var handshake = new ReadOnlySequence<byte>(EventStream.Handshake());
        Check.Equal(2, HandleAll(_session, handshake), "handshake frames handled");
        Check.Equal((long)SessionPhase.Live, (long)_session.Phase, "session phase after the handshake");

        Check.Equal(EventStream.Count, Handle(), "live events handled");
        Check.Equal(0, _counters.Rejected, "events rejected");
        Check.Equal(EventStream.Count, _counters.RosterEvents, "roster events counted");
    }

    [Benchmark(OperationsPerInvoke = EventStream.Count)]
    public int Handle()
    {
        // A fresh replay (empty): the stream's seqs count from the start again. 64 slots, once per 65,536 events.
        _feed.BeginReplay();
        _feed.CompleteReplay();
        return HandleAll(_session, _stream);
    }

    /// <summary>As DaemonReadLoop.HandleFrames: every whole frame into the session; stops at anything but Continue.</summary>
    private static int HandleAll(DaemonSession session, ReadOnlySequence<byte> buffer)
    {
        Span<byte> copy = stackalloc byte[VmsigWire.MaxFrameLength];
        var handled = 0;
        while (FrameReader.TryRead(ref buffer, out var body, out _) == FrameParseResult.Frame)
        {
            var outcome = session.Handle(Frames.Contiguous(body, copy));
            if (outcome is not (FrameOutcome.Continue or FrameOutcome.Synced))
            {
                break;
            }

            handled++;
        }

        return handled;
    }
}
