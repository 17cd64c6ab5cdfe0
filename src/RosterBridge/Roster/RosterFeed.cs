using RosterBridge.Frames;

namespace RosterBridge.Roster;

/// <summary>Applies roster events to the table and offers every changed slot to each subscriber (each sink's outbox).</summary>
internal sealed class RosterFeed
{
    private readonly IRosterSubscriber[] _outboxes;
    private int _occupied;

    public RosterFeed(RosterTable table, IEnumerable<IRosterSubscriber> outboxes)
    {
        Table = table;
        _outboxes = outboxes.ToArray();
    }

    public RosterTable Table { get; }

    /// <summary>Occupied slots of the roster; unlike the table, readable from any thread (metrics).</summary>
    public int OccupiedCount => Volatile.Read(ref _occupied);

    public void BeginReplay() => Table.BeginReplay();

    public ApplyResult Apply(in EventHeader header, in RosterDatum datum)
    {
        var result = Table.Apply(header, datum);
        if (result == ApplyResult.Changed)
        {
            Offer(header.Endpoint);
            CountOccupied();
        }

        return result;
    }

    /// <summary>SYNC: the replay becomes the roster; returns how many slots changed.</summary>
    public int CompleteReplay()
    {
        var changed = Table.CompleteReplay();
        for (var slots = changed; slots != 0; slots &= slots - 1)
        {
            Offer(System.Numerics.BitOperations.TrailingZeroCount(slots));
        }

        CountOccupied();
        return System.Numerics.BitOperations.PopCount(changed);
    }

    /// <summary>Completes once every outbox has room for another read's worth of offers (a per-event outbox is a bounded queue).</summary>
    public async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        foreach (var outbox in _outboxes)
        {
            await outbox.WaitForRoomAsync(cancellationToken);
        }
    }

    private void CountOccupied()
    {
        var occupied = 0;
        for (var i = 0; i < RosterTable.SlotCount; i++)
        {
            if (Table[i].IsOccupied)
            {
                occupied++;
            }
        }

        Volatile.Write(ref _occupied, occupied);
    }

    private void Offer(int endpoint)
    {
        ref readonly var state = ref Table[endpoint];
        foreach (var outbox in _outboxes)
        {
            outbox.Offer(endpoint, state);
        }
    }
}
