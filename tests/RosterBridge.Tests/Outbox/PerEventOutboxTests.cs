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
    public async Task A_full_queue_holds_the_writer_back_until_a_job_is_taken()
    {
        var outbox = new PerEventOutbox();
        for (var i = 0; i < PerEventOutbox.Capacity; i++)
        {
            outbox.Offer(i % 64, Occupied((uint)i));
        }

        var blocked = Task.Run(() => outbox.Offer(0, Occupied(999_999)));
        Assert.Equal(PerEventOutbox.Capacity, outbox.PendingCount); // never more than the capacity

        var job = await outbox.TakeAsync(CancellationToken.None);
        outbox.Complete(job, acknowledged: true);
        await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(PerEventOutbox.Capacity, outbox.PendingCount); // the held-back event was kept, not dropped

        var last = 0u;
        while (outbox.PendingCount > 0)
        {
            var next = await outbox.TakeAsync(CancellationToken.None);
            last = next.State.Datum.Vmid;
            outbox.Complete(next, acknowledged: true);
        }

        Assert.Equal(999_999u, last);
    }

    private static SlotState Occupied(uint vmid) =>
        new(new RosterDatum { Vmid = vmid, Action = (uint)RosterAction.Attach }, RosterAction.Attach, vmid, vmid);
}
