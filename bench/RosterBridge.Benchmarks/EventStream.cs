using System.Buffers;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Benchmarks;

/// <summary>
/// Pre-built daemon traffic: live ROSTER events as they travel on the wire (length prefix, header,
/// 48-byte datum), for random endpoints, with a mix of actions much like a busy host's.
/// </summary>
internal static class EventStream
{
    /// <summary>Events per benchmark invocation; every per-event benchmark reports cost per one of them.</summary>
    public const int Count = 65_536;

    /// <summary>The size of the segments a <see cref="System.IO.Pipelines.PipeReader"/> over the daemon's socket hands out.</summary>
    public const int PipeSegmentSize = DaemonClient.ReadBufferSize;

    /// <summary>Live ROSTER events with seq <paramref name="firstSeq"/>, +1, ...: 20 % ATTACH, 70 % UPDATE, 10 % DETACH.</summary>
    public static byte[] LiveRosterEvents(int count, ulong firstSeq, int seed = 1)
    {
        var wire = new byte[EventWriter.WireSize * count];
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var endpoint = (ushort)random.Next(VmsigWire.EndpointCount);
            var roll = random.Next(10);
            var action = roll < 2 ? RosterAction.Attach : roll < 9 ? RosterAction.Update : RosterAction.Detach;
            var seq = firstSeq + (ulong)i;
            var header = new EventHeader((ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Host,
                endpoint, Flags: 0, seq, TimestampNs: 1_764_000_000_000_000_000UL + (seq * 1_000));
            var datum = new RosterDatum
            {
                Vmid = 100u + endpoint,
                State = (uint)random.Next(9),
                Action = (uint)action,
            };
            datum.SetName($"vm-{endpoint:D2}-web");
            datum.Write(EventWriter.WriteEvent(wire.AsSpan(EventWriter.WireSize * i), header));
        }

        return wire;
    }

    /// <summary>WELCOME (granting CAP_ROSTER) and an empty replay's SYNC: a session that is live afterwards.</summary>
    public static byte[] Handshake()
    {
        var wire = new byte[EventWriter.WireSize * 2];
        EventWriter.WriteWelcome(wire, seq: 1, timestampNs: 1, Capabilities.Roster, sessionId: 42);
        EventWriter.WriteSync(wire.AsSpan(EventWriter.WireSize), seq: 2, timestampNs: 2);
        return wire;
    }

    /// <summary>
    /// The bytes as one sequence: one array when <paramref name="segmentSize"/> is 0, otherwise
    /// chained segments of that size, so that frames straddle segment ends as they do in a pipe.
    /// </summary>
    public static ReadOnlySequence<byte> AsSequence(byte[] wire, int segmentSize)
    {
        if (segmentSize <= 0 || segmentSize >= wire.Length)
        {
            return new ReadOnlySequence<byte>(wire);
        }

        var first = new Segment(wire.AsMemory(0, segmentSize), runningIndex: 0);
        var last = first;
        for (var start = segmentSize; start < wire.Length; start += segmentSize)
        {
            last = last.Append(wire.AsMemory(start, Math.Min(segmentSize, wire.Length - start)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

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
