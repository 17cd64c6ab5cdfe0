using RosterBridge.Outbox;
using RosterBridge.Roster;
using Xunit;
using static RosterBridge.Tests.Roster.Datums;

namespace RosterBridge.Tests.Roster;

public class RosterFeedTests
{
    private readonly RosterTable _table = new();
    private readonly SinkOutbox _mqtt = new();
    private readonly SinkOutbox _nats = new();
    private readonly RosterFeed _feed;

    public RosterFeedTests()
    {
        _feed = new RosterFeed(_table, [_mqtt, _nats]);
    }

    private static List<PublishJob> Drain(SinkOutbox outbox, bool acknowledge = true)
    {
        var jobs = new List<PublishJob>();
        while (outbox.TryTake(out var job))
        {
            jobs.Add(job);
            outbox.Complete(job, acknowledge);
        }

        return jobs;
    }

    [Fact]
    public void Staged_replay_offers_nothing_until_sync_then_every_slot_to_every_outbox()
    {
        _feed.BeginReplay();
        Assert.Equal(ApplyResult.Staged, _feed.Apply(Header(4, 1, replay: true), Attach(40, name: "four")));

        Assert.False(_mqtt.TryTake(out _));
        Assert.False(_nats.TryTake(out _));

        Assert.Equal(64, _feed.CompleteReplay());

        foreach (var outbox in new[] { _mqtt, _nats })
        {
            var jobs = Drain(outbox);
            Assert.Equal(Enumerable.Range(0, 64), jobs.Select(j => j.Endpoint));
            Assert.Equal(40u, jobs[4].State.Datum.Vmid);
            Assert.Single(jobs, j => j.State.IsOccupied);
        }
    }

    [Fact]
    public void Changed_live_event_is_offered_to_every_outbox_with_the_table_state()
    {
        _feed.BeginReplay();
        _feed.CompleteReplay();
        Drain(_mqtt);
        Drain(_nats);

        Assert.Equal(ApplyResult.Changed, _feed.Apply(Header(9, 5), Attach(90, 3, "nine")));

        foreach (var outbox in new[] { _mqtt, _nats })
        {
            var job = Assert.Single(Drain(outbox));
            Assert.Equal(9, job.Endpoint);
            Assert.Equal(90u, job.State.Datum.Vmid);
            Assert.Equal(5UL, job.State.Seq);
        }
    }

    [Fact]
    public void Unchanged_stale_and_rejected_events_offer_nothing()
    {
        _feed.BeginReplay();
        _feed.CompleteReplay();
        _feed.Apply(Header(1, 10), Attach(10));
        Drain(_mqtt);
        Drain(_nats);
        var badAction = Attach(1);
        badAction.Action = 7;

        Assert.Equal(ApplyResult.Unchanged, _feed.Apply(Header(2, 11), Detach()));
        Assert.Equal(ApplyResult.Stale, _feed.Apply(Header(1, 11), Attach(99)));
        Assert.Equal(ApplyResult.BadEndpoint, _feed.Apply(Header(64, 12), Attach(99)));
        Assert.Equal(ApplyResult.BadAction, _feed.Apply(Header(1, 13), badAction));

        Assert.Empty(Drain(_mqtt));
        Assert.Empty(Drain(_nats));
    }

    [Fact]
    public void Later_sync_offers_only_the_slots_it_changed_and_counts_them()
    {
        _feed.BeginReplay();
        _feed.Apply(Header(1, 1, replay: true), Attach(10));
        _feed.Apply(Header(2, 2, replay: true), Attach(20));
        _feed.CompleteReplay();
        Drain(_mqtt);
        Drain(_nats);

        _feed.BeginReplay();
        _feed.Apply(Header(1, 1, replay: true), Attach(10));
        _feed.Apply(Header(5, 2, replay: true), Attach(50));
        var changed = _feed.CompleteReplay();

        Assert.Equal(2, changed);
        var jobs = Drain(_mqtt);
        Assert.Equal([2, 5], jobs.Select(j => j.Endpoint).Order());
        Assert.False(jobs.Single(j => j.Endpoint == 2).State.IsOccupied);
        Assert.Equal(50u, jobs.Single(j => j.Endpoint == 5).State.Datum.Vmid);
    }

    [Fact]
    public void Feed_without_outboxes_still_applies()
    {
        var table = new RosterTable();
        var feed = new RosterFeed(table, []);
        feed.BeginReplay();
        feed.Apply(Header(3, 1, replay: true), Attach(30));

        Assert.Equal(64, feed.CompleteReplay());
        Assert.Same(table, feed.Table);
        Assert.True(table[3].IsOccupied);
    }
}
