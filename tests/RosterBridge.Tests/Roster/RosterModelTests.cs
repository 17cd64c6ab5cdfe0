using System.Buffers;
using System.Collections.Concurrent;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Daemon;
using Xunit;
using Xunit.Sdk;

namespace RosterBridge.Tests.Roster;

/// <summary>
/// The roster path end to end, without I/O: a daemon (a dictionary of endpoint to VM, and a seq)
/// that reconnects, restarts and sends live, stale and invalid events; the bridge's table, feed and
/// sink outboxes, fed through <see cref="DaemonSession"/> from wire bytes or straight through the
/// feed; and sinks that take, complete, fail and lose their broker, each with a fake broker that
/// keeps the last state that landed per slot. Checked after every step against the model.
/// </summary>
public class RosterModelTests
{
    private const int Slots = RosterTable.SlotCount;
    private const int SinkCount = 2;

    [Fact]
    public void Table_outboxes_and_brokers_follow_the_daemon_for_any_sequence_of_operations()
    {
        var tally = new ConcurrentDictionary<string, int>();
        GenCase(GenOp, 0, 80).Sample(c => Run(c, tally), iter: 1_500, print: Print);
        AssertEverythingHappened(tally, atLeast: 50);
    }

    [Fact]
    public void Long_runs_with_many_slots_reconnects_and_restarts_follow_the_daemon()
    {
        var tally = new ConcurrentDictionary<string, int>();
        GenCase(GenBusyOp, 0, 400).Sample(c => Run(c, tally), iter: 150, print: Print);
        AssertEverythingHappened(tally, atLeast: 50);
    }

    /// <summary>The generators really reach every kind of step: a property that skipped them would prove nothing.</summary>
    private static void AssertEverythingHappened(ConcurrentDictionary<string, int> tally, int atLeast)
    {
        string[] kinds =
        [
            "live Changed", "live Unchanged", "replayed live change", "missed while down", "restart",
            "wire connection", "feed connection", "noise", "SYNC some", "SYNC none", "replay left unsynced",
            "Stale live", "Stale in replay", "BadEndpoint", "BadAction", "taken", "Ok", "Failed", "FailedButLanded",
            "orphan ended", "broker lost", "drained",
        ];
        var missing = kinds.Where(kind => tally.GetValueOrDefault(kind) < atLeast)
            .Select(kind => $"{kind}: {tally.GetValueOrDefault(kind)}")
            .ToList();
        Assert.True(missing.Count == 0, $"too few steps of some kinds (at least {atLeast} each wanted): {string.Join(", ", missing)}");
    }

    [Fact]
    public void A_scripted_run_through_every_kind_of_operation_passes_the_model()
    {
        // One fixed walk through every operation, so that a model that checks nothing at all or
        // skips every step cannot go unnoticed: it also asserts that steps were really carried out.
        Vm web = new(7, 3, "web-01"), db = new(8, 4, "db"), edge = new(9, 2, "edge-7");
        var harness = new Harness(junk: 0b1010);
        Op[] ops =
        [
            new Reconnect(Wire: true, Order: 3, SeqPicks: [], UpdateMask: 0, Noise: [5], Sync: true),
            new DaemonEvent(Act.Attach, 2, web),
            new DaemonEvent(Act.Attach, 3, db),
            new StaleEvent(Act.Detach, 2, web, Below: 0),
            new InvalidEvent(64, (uint)RosterAction.Attach, SeqChoice.Next, Replay: false),
            new InvalidEvent(1, 7, SeqChoice.Max, Replay: false),
            new DaemonEvent(Act.Update, 2, web with { State = 4 }),
            new Take(0),
            new Take(0),
            new Finish(0, 0, Outcome.FailedButLanded),
            new BrokerLost(1, Wiped: ulong.MaxValue, Landed: 0),
            new DaemonRestart(Dropped: 1UL << 2, Added: [new Placement(40, edge)]),
            new DaemonEvent(Act.Detach, 3, db),
            new Reconnect(Wire: false, Order: 1, SeqPicks: [0, 1], UpdateMask: 1, Noise: [2, 40], Sync: false),
            new DaemonEvent(Act.Attach, 4, db),
            new StaleEvent(Act.Attach, 5, web, Below: 1),
            new Take(1),
            new Sync(),
            new Finish(0, 1, Outcome.Ok),
            new Drain(),
        ];
        foreach (var op in ops)
        {
            harness.Step(op);
        }

        harness.FinishRun();
        Assert.DoesNotContain(harness.Trace, line => line.Contains("skipped", StringComparison.Ordinal));
        Assert.Equal(4, harness.Rejected);
        Assert.True(harness.Published >= 64 * SinkCount, $"only {harness.Published} publishes landed");
    }

    private static void Run(Case c, ConcurrentDictionary<string, int> tally)
    {
        var harness = new Harness(c.Junk);
        try
        {
            foreach (var op in c.Ops)
            {
                harness.Step(op);
            }

            harness.FinishRun();
            foreach (var kind in harness.Tally)
            {
                tally.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }
        }
        catch (Exception ex)
        {
            throw new XunitException($"{ex.Message}\n--- what the steps did:\n{string.Join('\n', harness.Trace)}", ex);
        }
    }

    private static string Print(Case c) =>
        $"broker junk {Bits(c.Junk)}; {c.Ops.Length} steps:\n" + string.Join('\n', c.Ops.Select((op, i) => $"  {i + 1}. {op}"));

    // ---------------------------------------------------------------- operations

    internal enum Act
    {
        Attach,
        Update,
        Detach,
    }

    internal enum SeqChoice
    {
        /// <summary>The seq the daemon's next live event will carry.</summary>
        Next,
        Zero,
        Max,
    }

    internal enum Outcome
    {
        Ok,
        Failed,

        /// <summary>The broker took it but the acknowledgement was lost.</summary>
        FailedButLanded,
    }

    internal sealed record Vm(uint Vmid, uint State, string Name)
    {
        public override string ToString() => $"vm {Vmid} {VmsigWire.VmStateName(State)} \"{Name}\"";
    }

    internal sealed record Placement(int Endpoint, Vm Vm)
    {
        public override string ToString() => $"{Endpoint}: {Vm}";
    }

    internal sealed record Case(ulong Junk, Op[] Ops);

    internal abstract record Op;

    /// <summary>The daemon changes a slot: sent live when connected, replayed during a replay, missed when down.</summary>
    internal sealed record DaemonEvent(Act Act, int Endpoint, Vm Vm) : Op
    {
        public override string ToString() =>
            Act == Act.Detach ? $"Daemon DETACH ep {Endpoint}" : $"Daemon {Act.ToString().ToUpperInvariant()} ep {Endpoint} {Vm}";
    }

    /// <summary>The daemon restarts: the connection drops, its seq starts again at 1 and its roster changes.</summary>
    internal sealed record DaemonRestart(ulong Dropped, Placement[] Added) : Op
    {
        public override string ToString() => $"DaemonRestart drop {Bits(Dropped)} add [{string.Join(", ", Added.AsEnumerable())}]";
    }

    internal sealed record Disconnect : Op
    {
        public override string ToString() => "Disconnect";
    }

    /// <summary>
    /// A new connection: WELCOME, then the daemon's roster replayed in some order with seqs at most its
    /// own (picked by <see cref="SeqPicks"/>), after <see cref="Noise"/> slots' superseded datums; then SYNC, or not yet.
    /// </summary>
    internal sealed record Reconnect(bool Wire, int Order, ulong[] SeqPicks, int UpdateMask, int[] Noise, bool Sync) : Op
    {
        public override string ToString() =>
            $"Reconnect({(Wire ? "wire" : "feed")}, order {Order}, seq picks [{string.Join(",", SeqPicks.AsEnumerable())}], " +
            $"update mask 0x{UpdateMask:X}, noise [{string.Join(",", Noise.AsEnumerable())}]{(Sync ? ", SYNC" : ", no SYNC yet")})";
    }

    internal sealed record Sync : Op
    {
        public override string ToString() => "Sync";
    }

    /// <summary>A live event whose seq is <see cref="Below"/> under the largest this connection has seen (0: equal to it).</summary>
    internal sealed record StaleEvent(Act Act, int Endpoint, Vm Vm, ulong Below) : Op
    {
        public override string ToString() => $"Stale {Act.ToString().ToUpperInvariant()} ep {Endpoint} {Vm}, seq = largest - {Below}";
    }

    internal sealed record InvalidEvent(ushort Endpoint, uint Action, SeqChoice Seq, bool Replay) : Op
    {
        public override string ToString() => $"Invalid ep {Endpoint} action {Action} seq {Seq}{(Replay ? " REPLAY" : "")}";
    }

    internal sealed record Take(int Sink) : Op
    {
        public override string ToString() => $"Take sink {Sink}";
    }

    /// <summary>Ends one publish of the sink: its jobs in flight, then those orphaned by a broker loss, by <see cref="Pick"/>.</summary>
    internal sealed record Finish(int Sink, int Pick, Outcome Outcome) : Op
    {
        public override string ToString() => $"Finish sink {Sink} job #{Pick} {Outcome}";
    }

    /// <summary>The sink's connection is lost: jobs in flight landed or not, the broker lost some entries.</summary>
    internal sealed record BrokerLost(int Sink, ulong Wiped, ulong Landed) : Op
    {
        public override string ToString() => $"BrokerLost sink {Sink} wiped {Bits(Wiped)} landed {Bits(Landed)}";
    }

    /// <summary>Every sink publishes until nothing is pending, every publish acknowledged.</summary>
    internal sealed record Drain : Op
    {
        public override string ToString() => "Drain";
    }

    // ---------------------------------------------------------------- generators

    private static readonly Gen<string> GenName = Gen.Frequency(
        (8, Gen.OneOfConst("web-01", "db", "", "edge-7")),
        (1, Gen.Char['a', 'z'].Array[0, 40].Select(chars => new string(chars))),
        (1, Gen.OneOfConst("ünïcødé-námé-thät-gøès-ön-and-ön", "日本語の仮想マシンの名前は長い")));

    private static readonly Gen<Vm> GenVm = Gen.Select(
        Gen.UInt[1, 9],
        Gen.Frequency((9, Gen.UInt[0, 8]), (1, Gen.UInt)),
        GenName,
        (vmid, state, name) => new Vm(vmid, state, name));

    private static readonly Gen<Act> GenAct = Gen.Frequency(
        (3, Gen.Const(Act.Attach)), (2, Gen.Const(Act.Update)), (2, Gen.Const(Act.Detach)));

    private static readonly Gen<int> FewSlots = Gen.Frequency((5, Gen.Int[0, 5]), (1, Gen.Int[0, Slots - 1]));

    private static readonly Gen<int> AnySlot = Gen.Int[0, Slots - 1];

    private static Gen<Op> Ops(Gen<int> slot, int restart, int reconnect) => Gen.Frequency(
        (12, Gen.Select(GenAct, slot, GenVm, (act, endpoint, vm) => (Op)new DaemonEvent(act, endpoint, vm))),
        (3, Gen.Select(GenAct, slot, GenVm, Gen.Frequency((3, Gen.Const(0UL)), (3, Gen.ULong[1, 3]), (1, Gen.ULong)),
            (act, endpoint, vm, below) => (Op)new StaleEvent(act, endpoint, vm, below))),
        (2, Gen.Select(
            Gen.Frequency(
                (1, Gen.Select(Gen.Int[Slots, ushort.MaxValue], Gen.UInt[0, 2], (e, a) => ((ushort)e, a))),
                (1, Gen.Select(Gen.Int[0, Slots - 1], Gen.Frequency((3, Gen.UInt[3, 20]), (1, Gen.UInt[3, uint.MaxValue])), (e, a) => ((ushort)e, a))),
                (1, Gen.Select(Gen.Int[Slots, ushort.MaxValue], Gen.UInt[3, uint.MaxValue], (e, a) => ((ushort)e, a)))),
            Gen.OneOfConst(SeqChoice.Next, SeqChoice.Zero, SeqChoice.Max),
            Gen.Bool,
            (bad, seq, replay) => (Op)new InvalidEvent(bad.Item1, bad.Item2, seq, replay))),
        (reconnect, Gen.Select(
            Gen.Frequency((1, Gen.Bool), (2, Gen.Const(true))),
            Gen.Int[0, 1000],
            Gen.ULong.Array[0, 4],
            Gen.Int,
            AnySlot.Array[0, 3],
            Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false))),
            (wire, order, seqs, updates, noise, sync) => (Op)new Reconnect(wire, order, seqs, updates, noise, sync))),
        (1, Gen.Const((Op)new Sync())),
        (1, Gen.Const((Op)new Disconnect())),
        (restart, Gen.Select(
            Gen.Frequency((1, Gen.Const(0UL)), (1, Gen.ULong), (1, Gen.Const(ulong.MaxValue))),
            Gen.Select(slot, GenVm, (endpoint, vm) => new Placement(endpoint, vm)).Array[0, 6],
            (dropped, added) => (Op)new DaemonRestart(dropped, added))),
        (5, Gen.Int[0, SinkCount - 1].Select(sink => (Op)new Take(sink))),
        (5, Gen.Select(Gen.Int[0, SinkCount - 1], Gen.Int[0, 63], Gen.OneOfConst(Outcome.Ok, Outcome.Ok, Outcome.Failed, Outcome.FailedButLanded),
            (sink, pick, outcome) => (Op)new Finish(sink, pick, outcome))),
        (1, Gen.Select(Gen.Int[0, SinkCount - 1], Gen.ULong, Gen.ULong, (sink, wiped, landed) => (Op)new BrokerLost(sink, wiped, landed))),
        (1, Gen.Const((Op)new Drain())));

    private static readonly Gen<Op> GenOp = Ops(FewSlots, restart: 1, reconnect: 2);

    private static readonly Gen<Op> GenBusyOp = Ops(AnySlot, restart: 2, reconnect: 3);

    private static Gen<Case> GenCase(Gen<Op> op, int min, int max) =>
        Gen.Select(Gen.Frequency((1, Gen.Const(0UL)), (2, Gen.ULong)), op.Array[min, max], (junk, ops) => new Case(junk, ops));

    // ---------------------------------------------------------------- helpers

    private static string Bits(ulong mask) =>
        mask == 0 ? "{}" : mask == ulong.MaxValue ? "{all}" :
        "{" + string.Join(",", Enumerable.Range(0, Slots).Where(i => (mask & (1UL << i)) != 0)) + "}";

    /// <summary>What a subscriber would see of a VM, as the table and the outbox hold it.</summary>
    private static SlotState StateOf(Vm? vm) =>
        vm is null ? SlotState.Vacant : new SlotState(Datums.Make(vm.Vmid, vm.State, RosterAction.Attach, vm.Name), RosterAction.Attach, 0, 0);

    private static string Describe(in SlotState state) =>
        state.IsOccupied
            ? $"vm {state.Datum.Vmid} {VmsigWire.VmStateName(state.Datum.State)} \"{Datums.NameOf(state.Datum)}\"{(state.Datum.NameTruncated ? " (truncated)" : "")}"
            : "vacant";

    private static void AssertSame(in SlotState expected, in SlotState actual, string what)
    {
        if (!expected.SameContentAs(actual))
        {
            throw new XunitException($"{what}: expected {Describe(expected)}, found {Describe(actual)}");
        }
    }

    /// <summary>The counters a roster frame moves: exactly one of them, and Frames.</summary>
    private readonly record struct Counts(long Frames, long Accepted, long BadEndpoint, long BadAction, long Stale, long Syncs, long ProtocolErrors)
    {
        public static Counts Of(BridgeCounters c) =>
            new(c.Frames, c.RosterEvents, c.BadEndpoint, c.BadAction, c.Stale, c.Syncs, c.ProtocolErrors);

        public static Counts For(ApplyResult result) => result switch
        {
            ApplyResult.Changed or ApplyResult.Unchanged or ApplyResult.Staged => new(1, 1, 0, 0, 0, 0, 0),
            ApplyResult.BadEndpoint => new(1, 0, 1, 0, 0, 0, 0),
            ApplyResult.BadAction => new(1, 0, 0, 1, 0, 0, 0),
            ApplyResult.Stale => new(1, 0, 0, 0, 1, 0, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(result)),
        };

        public Counts Since(Counts before) => new(
            Frames - before.Frames, Accepted - before.Accepted, BadEndpoint - before.BadEndpoint, BadAction - before.BadAction,
            Stale - before.Stale, Syncs - before.Syncs, ProtocolErrors - before.ProtocolErrors);
    }

    private enum Phase
    {
        Down,
        Replaying,
        Live,
    }

    // ---------------------------------------------------------------- the model and the system

    private sealed class SinkModel(SinkOutbox outbox, SlotState[] broker)
    {
        public SinkOutbox Outbox { get; } = outbox;

        /// <summary>The fake broker: per slot the state of the last publish that landed.</summary>
        public SlotState[] Broker { get; } = broker;

        public long[] Acked { get; } = new long[Slots];

        public ulong Unknown { get; set; } = ulong.MaxValue;

        /// <summary>What the broker must hold while nothing has been offered: what it held, less what it lost.</summary>
        public SlotState[] BeforeFirstSync { get; } = (SlotState[])broker.Clone();

        public SortedDictionary<int, PublishJob> InFlight { get; } = [];

        /// <summary>Jobs of a session lost since they were taken: their end must change nothing.</summary>
        public List<PublishJob> Orphans { get; } = [];
    }

    private sealed class Harness
    {
        // The daemon.
        private readonly Vm?[] _daemon = new Vm?[Slots];
        private ulong _daemonSeq;
        private ulong _clock = 1_700_000_000_000_000_000;

        // The system under test.
        private readonly RosterTable _table = new();
        private readonly RosterFeed _feed;
        private readonly SinkOutbox _probe = new();
        private readonly BridgeCounters _counters = new();
        private readonly RateLimitedLog _badInput = new(NullLogger.Instance);
        private DaemonSession? _session;

        // What the bridge should know.
        private Phase _phase = Phase.Down;
        private bool _wire;
        private ulong? _largestSeq;
        private bool _everSynced;
        private readonly Vm?[] _known = new Vm?[Slots];
        private readonly Vm?[] _staged = new Vm?[Slots];
        private readonly long[] _offers = new long[Slots];
        private readonly long[] _probed = new long[Slots];
        private readonly SinkModel[] _sinks = new SinkModel[SinkCount];

        public Harness(ulong junk)
        {
            var leftOver = new SlotState[Slots];
            for (var i = 0; i < Slots; i++)
            {
                leftOver[i] = (junk & (1UL << i)) != 0 ? StateOf(new Vm(900 + (uint)i, 8, $"left-over-{i}")) : SlotState.Vacant;
            }

            for (var s = 0; s < SinkCount; s++)
            {
                _sinks[s] = new SinkModel(new SinkOutbox(), (SlotState[])leftOver.Clone());
            }

            _feed = new RosterFeed(_table, _sinks.Select(sink => sink.Outbox).Append(_probe));
        }

        public List<string> Trace { get; } = [];

        /// <summary>One entry per interesting thing that happened, for the coverage check.</summary>
        public List<string> Tally { get; } = [];

        /// <summary>Events the bridge rejected, as it was expected to.</summary>
        public int Rejected { get; private set; }

        /// <summary>Publishes that landed on a fake broker.</summary>
        public int Published { get; private set; }

        public void Step(Op op)
        {
            var line = op.ToString();
            Trace.Add(line);
            var what = op switch
            {
                DaemonEvent e => DaemonChanges(e),
                DaemonRestart r => Restart(r),
                Disconnect => Down("disconnected"),
                Reconnect r => Connect(r),
                Sync => CompleteReplay(),
                StaleEvent s => SendStale(s),
                InvalidEvent i => SendInvalid(i),
                Take t => TakeOne(_sinks[t.Sink], t.Sink),
                Finish f => FinishOne(f),
                BrokerLost b => LoseBroker(b),
                Drain => DrainAll(),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
            Trace[^1] = $"{line}: {what}";
            CheckInvariants();
        }

        /// <summary>Brings the bridge up to date with the daemon, publishes everything and checks the brokers hold the daemon's roster.</summary>
        public void FinishRun()
        {
            Trace.Add("finally: reconnect if needed, then drain");
            if (_phase != Phase.Live)
            {
                Trace[^1] += "; " + Connect(new Reconnect(Wire: true, Order: 0, SeqPicks: [], UpdateMask: 0, Noise: [], Sync: true));
                CheckInvariants();
            }

            DrainAll();
            CheckInvariants();
            for (var s = 0; s < SinkCount; s++)
            {
                for (var i = 0; i < Slots; i++)
                {
                    AssertSame(StateOf(_daemon[i]), _sinks[s].Broker[i], $"when all is published, sink {s}'s broker at slot {i} vs the daemon");
                }
            }
        }

        // ----- the daemon side

        private string DaemonChanges(DaemonEvent e)
        {
            var seq = ++_daemonSeq;
            var before = _daemon[e.Endpoint];
            _daemon[e.Endpoint] = e.Act == Act.Detach ? null : e.Vm;
            var datum = e.Act == Act.Detach
                ? Datums.Make(before?.Vmid ?? e.Vm.Vmid, 0, RosterAction.Detach)
                : Datums.Make(e.Vm.Vmid, e.Vm.State, ToAction(e.Act), e.Vm.Name);
            switch (_phase)
            {
                case Phase.Down:
                    Tally.Add("missed while down");
                    return $"seq {seq}, missed while down";
                case Phase.Replaying:
                    // It changed during the replay: the daemon replays the slot's new retained datum.
                    Deliver(Header(e.Endpoint, seq, replay: true), datum, ApplyResult.Staged);
                    _staged[e.Endpoint] = _daemon[e.Endpoint];
                    See(seq);
                    Tally.Add("replayed live change");
                    return $"replayed with seq {seq}: Staged";
                default:
                    if (_largestSeq >= seq)
                    {
                        throw new InvalidOperationException($"model error: live seq {seq} is not above {_largestSeq}");
                    }

                    var expected = e.Act == Act.Detach && _known[e.Endpoint] is null ? ApplyResult.Unchanged : ApplyResult.Changed;
                    Deliver(Header(e.Endpoint, seq, replay: false), datum, expected);
                    See(seq);
                    if (expected == ApplyResult.Changed)
                    {
                        _known[e.Endpoint] = _daemon[e.Endpoint];
                        _offers[e.Endpoint]++;
                        ref readonly var slot = ref _table[e.Endpoint];
                        if (slot.IsOccupied)
                        {
                            Assert.Equal(seq, slot.Seq);
                            Assert.Equal(ToAction(e.Act), slot.Action);
                        }
                    }

                    Tally.Add($"live {expected}");
                    return $"live seq {seq}: {expected}";
            }
        }

        private string Restart(DaemonRestart r)
        {
            for (var i = 0; i < Slots; i++)
            {
                if ((r.Dropped & (1UL << i)) != 0)
                {
                    _daemon[i] = null;
                }
            }

            foreach (var placement in r.Added)
            {
                _daemon[placement.Endpoint] = placement.Vm;
            }

            _daemonSeq = 0;
            Tally.Add("restart");
            return Down("daemon restarted, seq back to 0, roster now " + DaemonRoster());
        }

        private string DaemonRoster() =>
            "{" + string.Join(", ", Enumerable.Range(0, Slots).Where(i => _daemon[i] is not null).Select(i => $"{i}: {_daemon[i]}")) + "}";

        private string Down(string what)
        {
            _phase = Phase.Down;
            _session = null;
            return what;
        }

        private string Connect(Reconnect r)
        {
            Down("");
            _wire = r.Wire;
            _largestSeq = null;
            Array.Clear(_staged);
            if (_wire)
            {
                _session = new DaemonSession(_feed, _counters, _badInput);
                var before = Counts.Of(_counters);
                Assert.Equal(FrameOutcome.Continue, Handle(EventBytes.Welcome(seq: _daemonSeq)));
                Assert.Equal(new Counts(1, 0, 0, 0, 0, 0, 0), Counts.Of(_counters).Since(before));
                Assert.Equal(SessionPhase.Replaying, _session.Phase);
            }
            else
            {
                _feed.BeginReplay();
            }

            _phase = Phase.Replaying;
            Tally.Add(_wire ? "wire connection" : "feed connection");
            Assert.True(_table.IsReplaying, "BeginReplay: the table should be replaying");

            // Superseded datums first (a slot the daemon holds empty is detached again), then the
            // roster in an order of its own; every seq at most the daemon's own, in no order.
            var events = new List<(int Endpoint, RosterDatum Datum, Vm? Result)>();
            foreach (var slot in r.Noise)
            {
                Tally.Add("noise");
                var old = new Vm(100 + (uint)slot, 7, $"superseded-{slot}");
                events.Add((slot, Datums.Make(old.Vmid, old.State, RosterAction.Attach, old.Name), old));
                if (_daemon[slot] is null)
                {
                    events.Add((slot, Datums.Make(old.Vmid, 0, RosterAction.Detach), null));
                }
            }

            var roster = Enumerable.Range(0, Slots)
                .Where(i => _daemon[i] is not null)
                .OrderBy(i => unchecked(((uint)i * 2654435761u) ^ ((uint)r.Order * 40503u)))
                .ToList();
            for (var k = 0; k < roster.Count; k++)
            {
                var vm = _daemon[roster[k]]!;
                var action = (r.UpdateMask & (1 << (k % 31))) != 0 ? RosterAction.Update : RosterAction.Attach;
                events.Add((roster[k], Datums.Make(vm.Vmid, vm.State, action, vm.Name), vm));
            }

            var seqs = new List<ulong>();
            for (var k = 0; k < events.Count; k++)
            {
                var (endpoint, datum, result) = events[k];
                var seq = r.SeqPicks.Length == 0 ? _daemonSeq : r.SeqPicks[k % r.SeqPicks.Length] % (_daemonSeq + 1);
                Deliver(Header(endpoint, seq, replay: true), datum, ApplyResult.Staged);
                _staged[endpoint] = result;
                See(seq);
                seqs.Add(seq);
            }

            var what = $"{(_wire ? "WELCOME" : "BeginReplay")}, replayed [{string.Join(", ", events.Select((e, k) => $"{e.Endpoint}@{seqs[k]}"))}]";
            if (!r.Sync)
            {
                Tally.Add("replay left unsynced");
                return what;
            }

            return what + "; " + CompleteReplay();
        }

        private string CompleteReplay()
        {
            if (_phase != Phase.Replaying)
            {
                return "skipped: no replay in progress";
            }

            var changed = Enumerable.Range(0, Slots)
                .Where(i => !_everSynced || !StateOf(_known[i]).SameContentAs(StateOf(_staged[i])))
                .ToList();
            if (_wire)
            {
                var before = Counts.Of(_counters);
                Assert.Equal(FrameOutcome.Synced, Handle(EventBytes.Sync(_daemonSeq)));
                Assert.Equal(new Counts(1, 0, 0, 0, 0, 1, 0), Counts.Of(_counters).Since(before));
                Assert.Equal(SessionPhase.Live, _session!.Phase);
                Assert.Equal(changed.Count, _session.ChangedAtSync);
            }
            else
            {
                Assert.Equal(changed.Count, _feed.CompleteReplay());
            }

            foreach (var i in changed)
            {
                _known[i] = _staged[i];
                _offers[i]++;
            }

            Tally.Add(changed.Count == 0 ? "SYNC none" : changed.Count < Slots ? "SYNC some" : "SYNC all");
            _everSynced = true;
            _phase = Phase.Live;
            return $"SYNC changed {(changed.Count == Slots ? "all" : "[" + string.Join(",", changed) + "]")}";
        }

        // ----- events that must change nothing

        private string SendStale(StaleEvent s)
        {
            if (_phase == Phase.Down || _largestSeq is not { } largest)
            {
                return "skipped: no seq seen on a connection";
            }

            var seq = largest - Math.Min(s.Below, largest);
            var datum = s.Act == Act.Detach
                ? Datums.Make(s.Vm.Vmid, 0, RosterAction.Detach)
                : Datums.Make(s.Vm.Vmid, s.Vm.State, ToAction(s.Act), s.Vm.Name);
            Unchanged(() => Deliver(Header(s.Endpoint, seq, replay: false), datum, ApplyResult.Stale));
            Rejected++;
            Tally.Add(_phase == Phase.Live ? "Stale live" : "Stale in replay");
            return $"seq {seq} (largest seen {largest}): Stale";
        }

        private string SendInvalid(InvalidEvent i)
        {
            if (_phase == Phase.Down)
            {
                return "skipped: not connected";
            }

            var seq = i.Seq switch
            {
                SeqChoice.Next => _daemonSeq + 1,
                SeqChoice.Zero => 0UL,
                _ => ulong.MaxValue,
            };
            var datum = new RosterDatum { Vmid = 666, State = 3, Action = i.Action };
            datum.SetName("not-a-vm");
            var expected = i.Endpoint >= Slots ? ApplyResult.BadEndpoint : ApplyResult.BadAction;
            var header = new EventHeader(
                (ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Host, i.Endpoint,
                i.Replay ? VmsigWire.FlagReplay : (ushort)0, seq, NextTime());
            Unchanged(() => Deliver(header, datum, expected));
            Rejected++;
            Tally.Add(expected.ToString());
            return $"seq {seq}: {expected}";
        }

        /// <summary>Runs <paramref name="send"/> and checks that no slot of the table changed at all, seq and time included.</summary>
        private void Unchanged(Action send)
        {
            var before = Enumerable.Range(0, Slots).Select(Full).ToArray();
            send();
            for (var i = 0; i < Slots; i++)
            {
                Assert.Equal(before[i], Full(i));
            }
        }

        private string Full(int endpoint)
        {
            ref readonly var slot = ref _table[endpoint];
            return $"{endpoint}: {Describe(slot)} action {slot.Action} seq {slot.Seq} at {slot.TimestampNs}";
        }

        // ----- delivery: DaemonSession from wire bytes, or the feed itself

        private EventHeader Header(int endpoint, ulong seq, bool replay) => new(
            (ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Host, (ushort)endpoint,
            replay ? VmsigWire.FlagReplay : (ushort)0, seq, NextTime());

        private ulong NextTime() => _clock += 1_000;

        private void Deliver(in EventHeader header, in RosterDatum datum, ApplyResult expected)
        {
            if (!_wire)
            {
                Assert.Equal(expected, _feed.Apply(header, datum));
                return;
            }

            var wire = new byte[EventWriter.WireSize];
            datum.Write(EventWriter.WriteEvent(wire, header));
            var before = Counts.Of(_counters);
            Assert.Equal(FrameOutcome.Continue, Handle(wire));
            var moved = Counts.Of(_counters).Since(before);
            if (moved != Counts.For(expected))
            {
                throw new XunitException($"ROSTER ep {header.Endpoint} seq {header.Seq}: expected {expected} (counters {Counts.For(expected)}), counters moved {moved}");
            }
        }

        private FrameOutcome Handle(byte[] wire)
        {
            var buffer = new ReadOnlySequence<byte>(wire);
            Assert.Equal(FrameParseResult.Frame, FrameReader.TryRead(ref buffer, out var body, out _));
            Assert.True(buffer.IsEmpty);
            return _session!.Handle(body.FirstSpan);
        }

        private void See(ulong seq) => _largestSeq = _largestSeq is { } largest ? Math.Max(largest, seq) : seq;

        private static RosterAction ToAction(Act act) => act switch
        {
            Act.Attach => RosterAction.Attach,
            Act.Update => RosterAction.Update,
            _ => RosterAction.Detach,
        };

        // ----- the sinks

        private string TakeOne(SinkModel sink, int index)
        {
            var ready = Enumerable.Range(0, Slots).Where(i => _offers[i] != sink.Acked[i] && !sink.InFlight.ContainsKey(i)).ToList();
            var taken = sink.Outbox.TryTake(out var job);
            if (taken != ready.Count > 0)
            {
                throw new XunitException($"sink {index}: TryTake gave {taken} with slots [{string.Join(",", ready)}] ready");
            }

            if (!taken)
            {
                return "nothing to take";
            }

            Assert.Contains(job.Endpoint, ready);
            Assert.Equal(_offers[job.Endpoint], job.Version);
            AssertSame(StateOf(_known[job.Endpoint]), job.State, $"sink {index}: the job for slot {job.Endpoint} vs the table");
            Assert.Equal((sink.Unknown & (1UL << job.Endpoint)) != 0, job.BrokerStateUnknown);
            sink.InFlight.Add(job.Endpoint, job);
            Tally.Add("taken");
            return $"took slot {job.Endpoint} v{job.Version}: {Describe(job.State)}";
        }

        private string FinishOne(Finish f)
        {
            var sink = _sinks[f.Sink];
            var count = sink.InFlight.Count + sink.Orphans.Count;
            if (count == 0)
            {
                return "skipped: nothing in flight";
            }

            var pick = f.Pick % count;
            if (pick >= sink.InFlight.Count)
            {
                // The connection it was sent on was dropped: it lands nowhere and acknowledges nothing.
                var orphan = sink.Orphans[pick - sink.InFlight.Count];
                sink.Orphans.RemoveAt(pick - sink.InFlight.Count);
                sink.Outbox.Complete(orphan, f.Outcome == Outcome.Ok);
                Tally.Add("orphan ended");
                return $"orphaned job for slot {orphan.Endpoint} v{orphan.Version} ended {f.Outcome}: changes nothing";
            }

            var job = sink.InFlight.Values.ElementAt(pick);
            Tally.Add(f.Outcome.ToString());
            return Complete(sink, job, f.Outcome);
        }

        private string Complete(SinkModel sink, PublishJob job, Outcome outcome)
        {
            sink.InFlight.Remove(job.Endpoint);
            if (outcome != Outcome.Failed)
            {
                sink.Broker[job.Endpoint] = job.State;
                Published++;
            }

            sink.Outbox.Complete(job, outcome == Outcome.Ok);
            if (outcome == Outcome.Ok)
            {
                Assert.True(job.Version > sink.Acked[job.Endpoint], "an acknowledged job older than the last acknowledged one");
                sink.Acked[job.Endpoint] = job.Version;
                sink.Unknown &= ~(1UL << job.Endpoint);
            }

            return $"slot {job.Endpoint} v{job.Version} {outcome}";
        }

        private string LoseBroker(BrokerLost b)
        {
            var sink = _sinks[b.Sink];
            foreach (var job in sink.InFlight.Values)
            {
                if ((b.Landed & (1UL << job.Endpoint)) != 0)
                {
                    sink.Broker[job.Endpoint] = job.State;
                }
            }

            sink.Orphans.AddRange(sink.InFlight.Values);
            sink.InFlight.Clear();
            for (var i = 0; i < Slots; i++)
            {
                if ((b.Wiped & (1UL << i)) != 0)
                {
                    sink.Broker[i] = SlotState.Vacant;
                    sink.BeforeFirstSync[i] = SlotState.Vacant;
                }

                if (_offers[i] != 0)
                {
                    sink.Acked[i] = 0;
                }
            }

            sink.Unknown = ulong.MaxValue;
            sink.Outbox.BrokerStateLost();
            Tally.Add("broker lost");
            return $"{sink.Orphans.Count} orphaned jobs";
        }

        private string DrainAll()
        {
            var published = 0;
            for (var s = 0; s < SinkCount; s++)
            {
                var sink = _sinks[s];
                foreach (var orphan in sink.Orphans)
                {
                    sink.Outbox.Complete(orphan, acknowledged: true);
                }

                sink.Orphans.Clear();
                foreach (var job in sink.InFlight.Values.ToList())
                {
                    Complete(sink, job, Outcome.Ok);
                    published++;
                }

                for (var round = 0; ; round++)
                {
                    Assert.True(round <= Slots + 1, $"sink {s} kept producing jobs");
                    if (TakeOne(sink, s) == "nothing to take")
                    {
                        break;
                    }

                    Complete(sink, sink.InFlight.Values.Single(), Outcome.Ok);
                    published++;
                }

                Assert.Equal(0, sink.Outbox.PendingCount);
                for (var i = 0; i < Slots; i++)
                {
                    // Before the first SYNC nothing may reach a broker: it still holds what it held.
                    var expected = _everSynced ? StateOf(_known[i]) : sink.BeforeFirstSync[i];
                    AssertSame(expected, sink.Broker[i], $"after draining, sink {s}'s broker at slot {i}");
                    if (_phase == Phase.Live)
                    {
                        AssertSame(StateOf(_daemon[i]), sink.Broker[i], $"after draining while live, sink {s}'s broker at slot {i} vs the daemon");
                    }
                }
            }

            Tally.Add("drained");
            return $"{published} publishes acknowledged";
        }

        // ----- after every step

        private void CheckInvariants()
        {
            for (var i = 0; i < Slots; i++)
            {
                AssertSame(StateOf(_known[i]), _table[i], $"table slot {i}");
                if (_phase == Phase.Live)
                {
                    AssertSame(StateOf(_daemon[i]), _table[i], $"live: table slot {i} vs the daemon");
                }
            }

            Assert.Equal(_everSynced, _table.IsSynced);
            if (_phase != Phase.Down)
            {
                Assert.Equal(_phase == Phase.Replaying, _table.IsReplaying);
            }

            // What the feed offered since the last step: exactly the slots the model says changed,
            // each once per change, with the table's state. The probe outbox is always drained.
            var offered = new List<int>();
            while (_probe.TryTake(out var job))
            {
                offered.Add(job.Endpoint);
                Assert.Equal(_offers[job.Endpoint], job.Version);
                AssertSame(StateOf(_known[job.Endpoint]), job.State, $"offered slot {job.Endpoint}");
                _probe.Complete(job, acknowledged: true);
            }

            var expected = Enumerable.Range(0, Slots).Where(i => _offers[i] != _probed[i]).ToList();
            if (!expected.SequenceEqual(offered.Order()))
            {
                throw new XunitException($"offered slots [{string.Join(",", offered.Order())}], expected [{string.Join(",", expected)}]");
            }

            Array.Copy(_offers, _probed, Slots);
            Assert.Equal(0, _probe.PendingCount);
            Assert.Equal(_everSynced, _probe.IsCaughtUp);

            for (var s = 0; s < SinkCount; s++)
            {
                var sink = _sinks[s];
                var pending = Enumerable.Range(0, Slots).Count(i => _offers[i] != sink.Acked[i]);
                Assert.Equal(pending, sink.Outbox.PendingCount);
                Assert.Equal(_everSynced && pending == 0, sink.Outbox.IsCaughtUp);
            }

            if (_session is not null)
            {
                Assert.Equal(_phase == Phase.Live ? SessionPhase.Live : SessionPhase.Replaying, _session.Phase);
            }
        }
    }
}
