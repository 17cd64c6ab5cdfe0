using RosterBridge.Outbox;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.Tests.Outbox;

public sealed class PerEventOutboxTests
{
    [Fact]
    public async Task Every_event_is_a_job_in_order_and_a_failed_one_goes_first_again()
    {
        var outbox = new PerEventOutbox();
        for (uint vmid = 1; vmid <= 5; vmid++)
        {
            outbox.Offer(3, Occupied(vmid));
        }

        Assert.Equal(5, outbox.PendingCount);
        var first = await outbox.TakeAsync(CancellationToken.None);
        Assert.Equal(1u, first.State.Datum.Vmid);
        outbox.Complete(first, acknowledged: false);

        var taken = new List<uint>();
        for (var i = 0; i < 5; i++)
        {
            var job = await outbox.TakeAsync(CancellationToken.None);
            taken.Add(job.State.Datum.Vmid);
            outbox.Complete(job, acknowledged: true);
        }

        Assert.Equal([1u, 2u, 3u, 4u, 5u], taken);
        Assert.Equal(0, outbox.PendingCount);
    }

    [Fact]
    public async Task Offers_past_a_full_queue_do_not_block_and_the_reader_waits_for_room_between_reads()
    {
        var outbox = new PerEventOutbox();
        for (var i = 0; i < PerEventOutbox.Capacity + 3; i++)
        {
            outbox.Offer(i % 64, Occupied((uint)i)); // returns at once, full or not
        }

        Assert.Equal(PerEventOutbox.Capacity + 3, outbox.PendingCount); // nothing dropped
        var waiting = outbox.WaitForRoomAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        for (var i = 0; i < 3; i++)
        {
            var job = await outbox.TakeAsync(CancellationToken.None);
            outbox.Complete(job, acknowledged: true);
        }

        await waiting.WaitAsync(TimeSpan.FromSeconds(10)); // the three that waited beside the queue are in it now
        Assert.Equal(PerEventOutbox.Capacity, outbox.PendingCount);
        var taken = new List<uint>();
        while (outbox.PendingCount > 0)
        {
            var job = await outbox.TakeAsync(CancellationToken.None);
            taken.Add(job.State.Datum.Vmid);
            outbox.Complete(job, acknowledged: true);
        }

        Assert.Equal(Enumerable.Range(3, PerEventOutbox.Capacity).Select(i => (uint)i), taken);
    }

    [Fact]
    public async Task Waiting_for_room_ends_when_cancelled()
    {
        var outbox = new PerEventOutbox();
        for (var i = 0; i <= PerEventOutbox.Capacity; i++)
        {
            outbox.Offer(0, Occupied((uint)i));
        }

        using var stop = new CancellationTokenSource();
        var waiting = outbox.WaitForRoomAsync(stop.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(PerEventOutbox.Capacity + 1, outbox.PendingCount);
    }

    [Fact]
    public async Task Events_waiting_beside_the_queue_are_taken_in_order_even_when_the_reader_stopped_waiting()
    {
        var outbox = new PerEventOutbox();
        for (var i = 0; i < PerEventOutbox.Capacity + 5; i++)
        {
            outbox.Offer(0, Occupied((uint)i));
        }

        var last = 0u;
        for (var i = 0; i < PerEventOutbox.Capacity + 5; i++)
        {
            var job = await outbox.TakeAsync(CancellationToken.None);
            Assert.Equal((uint)i, job.State.Datum.Vmid);
            last = job.State.Datum.Vmid;
            outbox.Complete(job, acknowledged: true);
        }

        Assert.Equal((uint)(PerEventOutbox.Capacity + 4), last);
        Assert.Equal(0, outbox.PendingCount);
        Assert.True(outbox.WaitForRoomAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully); // room: it does not wait
    }

    private static SlotState Occupied(uint vmid) =>
        new(new RosterDatum { Vmid = vmid, Action = (uint)RosterAction.Attach }, RosterAction.Attach, vmid, vmid);
}
