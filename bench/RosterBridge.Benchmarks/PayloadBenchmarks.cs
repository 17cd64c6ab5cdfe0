using System.Buffers;
using BenchmarkDotNet.Attributes;
using RosterBridge.Payload;
using RosterBridge.Roster;

namespace RosterBridge.Benchmarks;

/// <summary>
/// (d) Encoding one occupied slot's payload into a reused buffer, as a sink does for each
/// publish (not for each event: the outbox coalesces). Cost per publish, over 64 different slots.
/// </summary>
[MemoryDiagnoser]
public class PayloadBenchmarks
{
    private const string Node = "pve1";
    private const int Slots = RosterTable.SlotCount;

    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private SlotState[] _slots = [];

    [GlobalSetup]
    public void Setup()
    {
        _slots = new SlotState[Slots];
        for (var i = 0; i < Slots; i++)
        {
            var datum = new RosterDatum { Vmid = 100u + (uint)i, State = (uint)(i % 10) };
            // Most names are short; every eighth is cut by the daemon in the middle of a multi-byte character.
            datum.SetName(i % 8 == 7 ? $"très-long-nom-de-machine-vm-{i}-éé" : $"web-{i:D2}");
            var action = i % 3 == 0 ? RosterAction.Attach : RosterAction.Update;
            _slots[i] = new SlotState(datum, action, seq: 1_000_000UL + (ulong)i, timestampNs: 1_764_000_000_123_456_789UL + (ulong)i);
        }

        Check.Equal(Slots, Json() > 0 ? Slots : 0, "JSON payloads written");
        Check.Equal(Slots, MessagePack() > 0 ? Slots : 0, "MessagePack payloads written");
    }

    [Benchmark(OperationsPerInvoke = Slots)]
    public int Json()
    {
        var bytes = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            _output.ResetWrittenCount();
            RosterPayload.WriteJson(_output, Node, i, _slots[i]);
            bytes += _output.WrittenCount;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Slots)]
    public int MessagePack()
    {
        var bytes = 0;
        for (var i = 0; i < _slots.Length; i++)
        {
            _output.ResetWrittenCount();
            RosterPayload.WriteMessagePack(_output, Node, i, _slots[i]);
            bytes += _output.WrittenCount;
        }

        return bytes;
    }
}
