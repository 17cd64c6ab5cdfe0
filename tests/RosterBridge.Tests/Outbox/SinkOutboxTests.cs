using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Roster;
using Xunit;

namespace RosterBridge.Tests.Outbox;

public class SinkOutboxTests
{
    private static SlotState State(uint vmid, uint state = 3, ulong seq = 1) =>
        new(Datums.Attach(vmid, state), RosterAction.Attach, seq, seq * 10);

    private static PublishJob Take(SinkOutbox outbox)
    {
        Assert.True(outbox.TryTake(out var job), "a job was expected");
        return job;
    }

    private static void OfferAllAndAcknowledge(SinkOutbox outbox)
    {
        for (var i = 0; i < 64; i++)
        {
            outbox.Offer(i, State((uint)i));
        }

        while (outbox.TryTake(out var job))
        {
            outbox.Complete(job, acknowledged: true);
        }
    }

    [Fact]
    public void New_outbox_has_nothing_to_do_and_is_not_caught_up()
    {
        var outbox = new SinkOutbox();

        Assert.False(outbox.TryTake(out _));
        Assert.Equal(0, outbox.PendingCount);
        Assert.False(outbox.IsCaughtUp);
    }

    [Fact]
    public void Many_offers_for_one_slot_coalesce_into_one_job_with_the_newest_state()
    {
        var outbox = new SinkOutbox();
        for (uint v = 1; v <= 5; v++)
        {
            outbox.Offer(7, State(v, seq: v));
        }

        var job = Take(outbox);

        Assert.Equal(7, job.Endpoint);
        Assert.Equal(5L, job.Version);
        Assert.Equal(5u, job.State.Datum.Vmid);
        Assert.Equal(5UL, job.State.Seq);
        Assert.False(outbox.TryTake(out _));
        Assert.Equal(1, outbox.PendingCount);
    }

    [Fact]
    public void Jobs_come_in_the_order_slots_were_first_offered()
    {
        var outbox = new SinkOutbox();
        outbox.Offer(30, State(1));
        outbox.Offer(2, State(2));
        outbox.Offer(63, State(3));
        outbox.Offer(30, State(4));

        Assert.Equal([30, 2, 63], new[] { Take(outbox).Endpoint, Take(outbox).Endpoint, Take(outbox).Endpoint });
        Assert.False(outbox.TryTake(out _));
    }

    [Fact]
    public void Offer_while_in_flight_waits_for_Complete_then_yields_the_newer_state()
    {
        var outbox = new SinkOutbox();
        outbox.Offer(3, State(1));
        var first = Take(outbox);

        outbox.Offer(3, State(2));
        outbox.Offer(3, State(3));

        Assert.False(outbox.TryTake(out _));
        outbox.Complete(first, acknowledged: true);
        var second = Take(outbox);
        Assert.Equal(3L, second.Version);
        Assert.Equal(3u, second.State.Datum.Vmid);
        Assert.False(outbox.TryTake(out _));
    }

    [Fact]
    public void Acknowledged_job_with_nothing_newer_leaves_nothing_pending()
    {
        var outbox = new SinkOutbox();
        outbox.Offer(3, State(1));

        outbox.Complete(Take(outbox), acknowledged: true);

        Assert.False(outbox.TryTake(out _));
        Assert.Equal(0, outbox.PendingCount);
    }

    [Fact]
    public void Failed_job_is_queued_again_with_the_same_version()
    {
        var outbox = new SinkOutbox();
        outbox.Offer(3, State(1));
        var job = Take(outbox);

        outbox.Complete(job, acknowledged: false);

        var retry = Take(outbox);
        Assert.Equal(job.Endpoint, retry.Endpoint);
        Assert.Equal(job.Version, retry.Version);
        Assert.Equal(1u, retry.State.Datum.Vmid);
        Assert.True(retry.BrokerStateUnknown);
        Assert.Equal(1, outbox.PendingCount);
    }

    [Fact]
    public void Failed_job_with_a_newer_offer_retries_with_the_newer_state()
    {
        var outbox = new SinkOutbox();
        outbox.Offer(3, State(1));
        var job = Take(outbox);
        outbox.Offer(3, State(2));

        outbox.Complete(job, acknowledged: false);

        var retry = Take(outbox);
        Assert.Equal(2L, retry.Version);
        Assert.Equal(2u, retry.State.Datum.Vmid);
        Assert.False(outbox.TryTake(out _));
    }

    [Fact]
    public void Broker_state_is_unknown_until_the_slot_was_acknowledged()
    {
        var outbox = new SinkOutbox();
        outbox.Offer(3, State(1));
        var first = Take(outbox);
        Assert.True(first.BrokerStateUnknown);

        outbox.Complete(first, acknowledged: true);
        outbox.Offer(3, State(2));

        Assert.False(Take(outbox).BrokerStateUnknown);
    }

    [Fact]
    public void BrokerStateLost_requeues_every_desired_slot_as_unknown()
    {
        var outbox = new SinkOutbox();
        foreach (var slot in new[] { 0, 5, 63 })
        {
            outbox.Offer(slot, State((uint)slot + 100));
        }

        while (outbox.TryTake(out var job))
        {
            outbox.Complete(job, acknowledged: true);
        }

        Assert.Equal(0, outbox.PendingCount);

        outbox.BrokerStateLost();

        Assert.Equal(3, outbox.PendingCount);
        var again = new[] { Take(outbox), Take(outbox), Take(outbox) };
        Assert.False(outbox.TryTake(out _));
        Assert.Equal([0, 5, 63], again.Select(j => j.Endpoint).Order());
        Assert.All(again, j => Assert.True(j.BrokerStateUnknown));
        Assert.All(again, j => Assert.Equal(1L, j.Version));
        Assert.All(again, j => Assert.Equal((uint)j.Endpoint + 100, j.State.Datum.Vmid));
    }

    [Fact]
    public void BrokerStateLost_republishes_a_slot_in_flight_and_ignores_the_late_completion()
    {
        var outbox = new SinkOutbox();
        outbox.Offer(4, State(1));
        var lostWithTheConnection = Take(outbox);

        outbox.BrokerStateLost();

        var retry = Take(outbox);
        Assert.Equal(4, retry.Endpoint);
        Assert.True(retry.BrokerStateUnknown);
        Assert.NotEqual(lostWithTheConnection.Session, retry.Session);

        // The old publish reports late, even as acknowledged: it neither completes the new one nor queues a duplicate.
        outbox.Complete(lostWithTheConnection, acknowledged: true);
        Assert.Equal(1, outbox.PendingCount);
        Assert.False(outbox.TryTake(out _));

        outbox.Complete(retry, acknowledged: true);
        Assert.Equal(0, outbox.PendingCount);
        Assert.True(outbox.IsCaughtUp);
    }

    [Fact]
    public void BrokerStateLost_with_nothing_offered_queues_nothing()
    {
        var outbox = new SinkOutbox();

        outbox.BrokerStateLost();

        Assert.False(outbox.TryTake(out _));
        Assert.Equal(0, outbox.PendingCount);
    }

    [Fact]
    public void Vacant_state_is_published_like_any_other()
    {
        var outbox = new SinkOutbox();

        outbox.Offer(8, SlotState.Vacant);

        var job = Take(outbox);
        Assert.False(job.State.IsOccupied);
        Assert.Equal(1, outbox.PendingCount);
    }

    [Fact]
    public void IsCaughtUp_once_a_whole_roster_is_acknowledged_and_no_longer_after_a_new_offer()
    {
        var outbox = new SinkOutbox();
        for (var i = 0; i < 64; i++)
        {
            outbox.Offer(i, State((uint)i));
        }

        Assert.False(outbox.IsCaughtUp);
        Assert.Equal(64, outbox.PendingCount);

        var jobs = new List<PublishJob>();
        while (outbox.TryTake(out var job))
        {
            jobs.Add(job);
        }

        Assert.Equal(64, jobs.Count);
        Assert.Equal(64, outbox.PendingCount);
        foreach (var job in jobs.Take(63))
        {
            outbox.Complete(job, acknowledged: true);
        }

        Assert.False(outbox.IsCaughtUp);
        Assert.Equal(1, outbox.PendingCount);
        outbox.Complete(jobs[63], acknowledged: true);
        Assert.True(outbox.IsCaughtUp);
        Assert.Equal(0, outbox.PendingCount);

        outbox.Offer(17, State(99));
        Assert.False(outbox.IsCaughtUp);
        Assert.Equal(1, outbox.PendingCount);
    }

    [Fact]
    public void IsCaughtUp_is_false_after_BrokerStateLost_until_republished()
    {
        var outbox = new SinkOutbox();
        OfferAllAndAcknowledge(outbox);
        Assert.True(outbox.IsCaughtUp);

        outbox.BrokerStateLost();

        Assert.False(outbox.IsCaughtUp);
        Assert.Equal(64, outbox.PendingCount);
        while (outbox.TryTake(out var job))
        {
            outbox.Complete(job, acknowledged: true);
        }

        Assert.True(outbox.IsCaughtUp);
    }

    [Fact]
    public async Task TakeAsync_waits_for_an_offer()
    {
        var outbox = new SinkOutbox();

        var pending = outbox.TakeAsync(CancellationToken.None);
        Assert.False(pending.IsCompleted);

        outbox.Offer(12, State(1));
        var job = await pending;

        Assert.Equal(12, job.Endpoint);
        Assert.False(outbox.TryTake(out _));
    }

    [Fact]
    public async Task TakeAsync_is_cancelled_by_its_token()
    {
        var outbox = new SinkOutbox();
        using var cancel = new CancellationTokenSource();

        var pending = outbox.TakeAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }
}
