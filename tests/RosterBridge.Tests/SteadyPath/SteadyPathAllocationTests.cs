using System.Buffers;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Frames;
using Xunit;

namespace RosterBridge.Tests.SteadyPath;

/// <summary>
/// The per-event path (the read loop's frame cutting → header → datum → table → outboxes, and the
/// wait for room between reads) allocates nothing once running: counted with the runtime's
/// per-thread allocation counter, not timed.
/// </summary>
public sealed class SteadyPathAllocationTests
{
    private const int Events = 20_000;

    [Fact]
    public void Cutting_decoding_and_applying_live_events_allocates_nothing()
    {
        var outboxes = new[] { new SinkOutbox(), new SinkOutbox() };
        var feed = new RosterFeed(new RosterTable(), outboxes);
        var counters = new BridgeCounters();
        var session = new DaemonSession(feed, counters, new RateLimitedLog(NullLogger.Instance));
        var loop = new DaemonReadLoop(feed, TimeProvider.System);
        var wire = new byte[EventWriter.WireSize * (Events + 2)];
        EventWriter.WriteWelcome(wire, seq: 1, timestampNs: 1, Capabilities.Roster, sessionId: 7);
        EventWriter.WriteSync(wire.AsSpan(EventWriter.WireSize), seq: 2, timestampNs: 2);
        var random = new Random(1);
        for (var i = 0; i < Events; i++)
        {
            var header = new EventHeader((ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Core,
                (ushort)random.Next(64), Flags: 0, Seq: (ulong)(i + 3), TimestampNs: (ulong)i);
            var datum = new RosterDatum { Vmid = (uint)random.Next(100, 200), State = (uint)random.Next(9), Action = (uint)random.Next(3) };
            datum.SetName($"vm-{i % 50}");
            datum.Write(EventWriter.WriteEvent(wire.AsSpan(EventWriter.WireSize * (i + 2)), header));
        }

        // As a pipe hands them over: read-sized segments, so some frames straddle two.
        var half = EventWriter.WireSize * (2 + (Events / 2));
        var warmUp = InReads(wire[..half]);
        var measured = InReads(wire[half..]);

        // Handshake and a first pass warm everything up (tiered JIT, the outboxes' queues).
        Run(loop, feed, session, warmUp);
        Assert.Equal(SessionPhase.Live, session.Phase);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Run(loop, feed, session, measured);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Events + 2, counters.Frames);
        Assert.Equal(0, allocated);
    }

    private static ReadOnlySequence<byte> InReads(byte[] bytes) =>
        SegmentedSequence.Split(bytes, [.. Enumerable.Range(1, (bytes.Length - 1) / DaemonClient.ReadBufferSize).Select(i => i * DaemonClient.ReadBufferSize)]);

    /// <summary>What the read loop does with each read: wait for room in the outboxes, then handle every whole frame.</summary>
    private static void Run(DaemonReadLoop loop, RosterFeed feed, DaemonSession session, ReadOnlySequence<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            if (!feed.WaitForRoomAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully)
            {
                Assert.Fail("a coalescing outbox made the reader wait");
            }

            var outcome = loop.HandleFrames(session, ref buffer);
            if (outcome is not (FrameOutcome.Continue or FrameOutcome.Synced))
            {
                Assert.Fail($"{outcome} {session.Problem}");
            }

            if (outcome == FrameOutcome.Continue && !buffer.IsEmpty)
            {
                Assert.Fail("a frame was left unhandled"); // only whole frames were given
            }
        }
    }
}
