using CsCheck;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Roster;
using Xunit;

namespace RosterBridge.Tests.Outbox;

/// <summary>
/// Random sequences of what the daemon reader and the sink workers do to an outbox, checked step
/// by step against a plain model of what the outbox promises.
/// </summary>
public class SinkOutboxModelTests
{
    private const int Slots = 64;
    private const long Vacant = -1;
    private const long NeverPublished = long.MinValue;

    private enum Kind
    {
        Offer,
        OfferVacant,
        Take,
        TakeAll,
        CompleteOk,
        CompleteFail,
        BrokerLost,
    }

    private readonly record struct Op(Kind Kind, int Slot, int Pick)
    {
        public override string ToString() => Kind switch
        {
            Kind.Offer or Kind.OfferVacant => $"{Kind}({Slot})",
            Kind.CompleteOk or Kind.CompleteFail => $"{Kind}(#{Pick})",
            _ => Kind.ToString(),
        };
    }

    private static readonly Gen<int> GenSlot = Gen.Frequency((4, Gen.Int[0, 3]), (1, Gen.Int[0, Slots - 1]));

    private static readonly Gen<Op> GenOp = Gen.Frequency(
        (6, GenSlot.Select(slot => new Op(Kind.Offer, slot, 0))),
        (1, GenSlot.Select(slot => new Op(Kind.OfferVacant, slot, 0))),
        (5, Gen.Const(new Op(Kind.Take, 0, 0))),
        (1, Gen.Const(new Op(Kind.TakeAll, 0, 0))),
        (4, Gen.Int[0, Slots - 1].Select(pick => new Op(Kind.CompleteOk, 0, pick))),
        (2, Gen.Int[0, Slots - 1].Select(pick => new Op(Kind.CompleteFail, 0, pick))),
        (1, Gen.Const(new Op(Kind.BrokerLost, 0, 0))));

    [Fact]
    public void Outbox_behaves_like_its_model_for_any_sequence_of_operations()
    {
        GenOp.Array[0, 300].Sample(Run, iter: 2_000, print: ops => string.Join(", ", ops));
    }

    [Fact]
    public void Outbox_with_every_slot_busy_behaves_like_its_model()
    {
        // Wide slot range and many offers: the ready queue is driven to all 64 slots.
        var wide = Gen.Frequency(
            (8, Gen.Int[0, Slots - 1].Select(slot => new Op(Kind.Offer, slot, 0))),
            (2, Gen.Const(new Op(Kind.BrokerLost, 0, 0))),
            (2, Gen.Const(new Op(Kind.TakeAll, 0, 0))),
            (3, Gen.Int[0, Slots - 1].Select(pick => new Op(Kind.CompleteOk, 0, pick))),
            (1, Gen.Int[0, Slots - 1].Select(pick => new Op(Kind.CompleteFail, 0, pick))));
        wide.Array[100, 600].Sample(Run, iter: 300, print: ops => string.Join(", ", ops));
    }

    private static void Run(Op[] ops)
    {
        var model = new Model();
        var outbox = new SinkOutbox();

        foreach (var op in ops)
        {
            model.Step(outbox, op);
            model.CheckCounts(outbox);
        }

        // Every publish that was started ends well, then the sink works until nothing is left.
        foreach (var slot in model.InFlight.Keys.ToArray())
        {
            model.Complete(outbox, slot, acknowledged: true);
        }

        for (var round = 0; ; round++)
        {
            Assert.True(round < 3, "the outbox kept producing jobs after everything was acknowledged");
            var jobs = model.TakeAll(outbox);
            if (jobs.Count == 0)
            {
                break;
            }

            foreach (var job in jobs)
            {
                model.Complete(outbox, job.Endpoint, acknowledged: true);
            }
        }

        for (var slot = 0; slot < Slots; slot++)
        {
            if (model.DesiredVersion[slot] != 0)
            {
                Assert.Equal(model.DesiredValue[slot], model.Broker[slot]);
            }
            else
            {
                Assert.Equal(NeverPublished, model.Broker[slot]);
            }
        }

        Assert.Equal(0, outbox.PendingCount);
        Assert.Equal(model.Offered, outbox.IsCaughtUp);
    }

    private static SlotState State(long value) =>
        value == Vacant ? SlotState.Vacant : new SlotState(Datums.Attach((uint)value), RosterAction.Attach, (ulong)value, 0);

    private static long ValueOf(in SlotState state) => state.IsOccupied ? state.Datum.Vmid : Vacant;

    private sealed class Model
    {
        private ulong _brokerUnknown = ulong.MaxValue;
        private long _nextValue = 1;

        public long[] DesiredVersion { get; } = new long[Slots];

        public long[] DesiredValue { get; } = new long[Slots];

        public long[] AckedVersion { get; } = new long[Slots];

        /// <summary>What the broker holds per slot: the value of the last acknowledged publish.</summary>
        public long[] Broker { get; } = Enumerable.Repeat(NeverPublished, Slots).ToArray();

        public SortedDictionary<int, PublishJob> InFlight { get; } = [];

        /// <summary>Jobs taken before the last broker loss: their completion must change nothing.</summary>
        public List<PublishJob> Stale { get; } = [];

        public bool Offered { get; private set; }

        public void Step(SinkOutbox outbox, Op op)
        {
            switch (op.Kind)
            {
                case Kind.Offer:
                case Kind.OfferVacant:
                    var value = op.Kind == Kind.Offer ? _nextValue++ : Vacant;
                    outbox.Offer(op.Slot, State(value));
                    Offered = true;
                    DesiredVersion[op.Slot]++;
                    DesiredValue[op.Slot] = value;
                    break;
                case Kind.Take:
                    TakeOne(outbox);
                    break;
                case Kind.TakeAll:
                    TakeAll(outbox);
                    break;
                case Kind.CompleteOk:
                case Kind.CompleteFail:
                    if (InFlight.Count + Stale.Count > 0)
                    {
                        var pick = op.Pick % (InFlight.Count + Stale.Count);
                        if (pick < InFlight.Count)
                        {
                            Complete(outbox, InFlight.Keys.ElementAt(pick), op.Kind == Kind.CompleteOk);
                        }
                        else
                        {
                            var stale = Stale[pick - InFlight.Count];
                            Stale.RemoveAt(pick - InFlight.Count);
                            outbox.Complete(stale, op.Kind == Kind.CompleteOk); // the model: nothing changes
                        }
                    }

                    break;
                case Kind.BrokerLost:
                    outbox.BrokerStateLost();
                    Stale.AddRange(InFlight.Values);
                    InFlight.Clear();
                    _brokerUnknown = ulong.MaxValue;
                    for (var i = 0; i < Slots; i++)
                    {
                        if (DesiredVersion[i] != 0)
                        {
                            AckedVersion[i] = 0;
                        }
                    }

                    break;
            }
        }

        public List<int> Ready() =>
            Enumerable.Range(0, Slots)
                .Where(slot => !InFlight.ContainsKey(slot) && DesiredVersion[slot] != AckedVersion[slot])
                .ToList();

        public bool TakeOne(SinkOutbox outbox)
        {
            var ready = Ready();
            var taken = outbox.TryTake(out var job);
            Assert.True(taken == (ready.Count > 0), $"TryTake returned {taken} with {ready.Count} slots ready");
            if (!taken)
            {
                return false;
            }

            Assert.False(InFlight.ContainsKey(job.Endpoint), $"a second job for slot {job.Endpoint} while one is in flight");
            Assert.Contains(job.Endpoint, ready);
            Assert.Equal(DesiredVersion[job.Endpoint], job.Version);
            Assert.Equal(DesiredValue[job.Endpoint], ValueOf(job.State));
            Assert.Equal((_brokerUnknown & (1UL << job.Endpoint)) != 0, job.BrokerStateUnknown);
            InFlight.Add(job.Endpoint, job);
            return true;
        }

        public List<PublishJob> TakeAll(SinkOutbox outbox)
        {
            var expected = Ready().Count;
            var before = InFlight.Keys.ToHashSet();
            while (TakeOne(outbox))
            {
                Assert.True(InFlight.Count - before.Count <= Slots, "more than 64 jobs were queued");
            }

            var taken = InFlight.Where(pair => !before.Contains(pair.Key)).Select(pair => pair.Value).ToList();
            Assert.Equal(expected, taken.Count);
            Assert.InRange(taken.Count, 0, Slots);
            return taken;
        }

        public void Complete(SinkOutbox outbox, int slot, bool acknowledged)
        {
            var job = InFlight[slot];
            InFlight.Remove(slot);
            outbox.Complete(job, acknowledged);
            if (acknowledged)
            {
                Broker[slot] = ValueOf(job.State);
                if (job.Version > AckedVersion[slot])
                {
                    AckedVersion[slot] = job.Version;
                    _brokerUnknown &= ~(1UL << slot);
                }
            }
        }

        public void CheckCounts(SinkOutbox outbox)
        {
            var pending = Enumerable.Range(0, Slots).Count(slot => DesiredVersion[slot] != AckedVersion[slot]);
            Assert.Equal(pending, outbox.PendingCount);
            Assert.Equal(Offered && pending == 0, outbox.IsCaughtUp);
        }
    }
}
