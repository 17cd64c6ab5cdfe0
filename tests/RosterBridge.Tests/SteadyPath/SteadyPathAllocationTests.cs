using System.Buffers;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.SteadyPath;

/// <summary>
/// The per-event path (frame → header → datum → table → outboxes) allocates nothing once running:
/// counted with the runtime's per-thread allocation counter, not timed.
/// </summary>
public sealed class SteadyPathAllocationTests
{
    private const int Events = 20_000;

    [Fact]
    public void Cutting_decoding_and_applying_live_events_allocates_nothing()
    {
        var outboxes = new[] { new SinkOutbox(), new SinkOutbox() };
        var session = new DaemonSession(
            new RosterFeed(new RosterTable(), outboxes), new BridgeCounters(), new RateLimitedLog(NullLogger.Instance));
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

        // Handshake and a first pass warm everything up (tiered JIT, the outboxes' queues).
        var handled = Run(session, wire, 0, 2 + (Events / 2));
        Assert.Equal(SessionPhase.Live, session.Phase);

        var before = GC.GetAllocatedBytesForCurrentThread();
        handled += Run(session, wire, 2 + (Events / 2), Events + 2);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Events + 2, handled);
        Assert.Equal(0, allocated);
    }

    private static int Run(DaemonSession session, byte[] wire, int firstEvent, int endEvent)
    {
        var buffer = new ReadOnlySequence<byte>(wire, firstEvent * EventWriter.WireSize, (endEvent - firstEvent) * EventWriter.WireSize);
        var handled = 0;
        while (FrameReader.TryRead(ref buffer, out var body, out _) == FrameParseResult.Frame)
        {
            var outcome = session.Handle(body.FirstSpan);
            if (outcome is not (FrameOutcome.Continue or FrameOutcome.Synced))
            {
                Assert.Fail($"event {handled}: {outcome} {session.Problem}");
            }

            handled++;
        }

        return handled;
    }
}
