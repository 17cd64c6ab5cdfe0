using System.IO.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Roster;
using Xunit;
using static RosterBridge.Tests.Daemon.EventBytes;

namespace RosterBridge.Tests.Daemon;

/// <summary>The read loop alone, over an in-memory pipe: no socket, no client.</summary>
public sealed class DaemonReadLoopTests
{
    private readonly RosterTable _table = new();
    private readonly BridgeCounters _counters = new();
    private readonly Pipe _pipe = new();

    private (DaemonReadLoop Loop, DaemonSession Session) Connection(params IRosterOutbox[] outboxes)
    {
        var feed = new RosterFeed(_table, outboxes);
        return (new DaemonReadLoop(feed, new FakeTimeProvider()), new DaemonSession(feed, _counters, new RateLimitedLog(NullLogger.Instance)));
    }

    private async Task WriteAsync(params byte[][] frames)
    {
        await _pipe.Writer.WriteAsync(frames.SelectMany(frame => frame).ToArray());
    }

    [Fact]
    public async Task The_SYNC_callback_sees_the_replayed_roster_before_the_live_events_of_the_same_read()
    {
        var (loop, session) = Connection(new SinkOutbox());
        await WriteAsync(Welcome(), RosterEvent(1, 2, Datums.Attach(11, 3), replay: true), Sync(3),
            RosterEvent(1, 4, Datums.Update(11, 4)), RosterEvent(2, 5, Datums.Attach(12)));
        await _pipe.Writer.CompleteAsync();
        var atSync = new List<(bool, uint, bool)>();

        await Assert.ThrowsAsync<IOException>(() =>
            loop.RunAsync(_pipe.Reader, session, () => atSync.Add((_table.IsSynced, _table[1].Datum.State, _table[2].IsOccupied)), CancellationToken.None));

        Assert.Equal([(true, 3u, false)], atSync);
        Assert.Equal(4u, _table[1].Datum.State);
        Assert.True(_table[2].IsOccupied);
    }

    [Fact]
    public async Task Frames_after_an_ERROR_in_the_same_read_are_not_applied()
    {
        var (loop, session) = Connection(new SinkOutbox());
        await WriteAsync(Welcome(), Sync(2), RosterEvent(1, 3, Datums.Attach(11)), Error(2, "going"), RosterEvent(2, 4, Datums.Attach(12)));

        var refused = await Assert.ThrowsAsync<DaemonRefusedException>(() => loop.RunAsync(_pipe.Reader, session, () => { }, CancellationToken.None));

        Assert.Equal(DaemonErrorCode.VersionUnsupported, refused.Code);
        Assert.True(_table[1].IsOccupied);
        Assert.False(_table[2].IsOccupied);
        Assert.Equal(4, _counters.Frames);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_full_outbox_holds_the_loop_after_SYNC_until_there_is_room_or_it_is_cancelled(bool makeRoom)
    {
        var outbox = new PerEventOutbox();
        for (var i = 0; i < PerEventOutbox.Capacity; i++)
        {
            outbox.Offer(0, default);
        }

        var (loop, session) = Connection(outbox);
        using var stop = new CancellationTokenSource();
        await WriteAsync(Welcome(), RosterEvent(1, 2, Datums.Attach(11), replay: true), Sync(3));
        var synced = new TaskCompletionSource();
        var running = loop.RunAsync(_pipe.Reader, session, synced.SetResult, stop.Token);

        await synced.Task.WaitAsync(Eventually.Limit); // the replay is read, full queue or not: it offers nothing
        Assert.Equal(PerEventOutbox.Capacity + 64, outbox.PendingCount); // SYNC's 64 slots wait beside the queue
        await WriteAsync(RosterEvent(2, 4, Datums.Attach(12)));
        if (makeRoom)
        {
            for (var i = 0; i < 65; i++)
            {
                outbox.Complete(await outbox.TakeAsync(CancellationToken.None), acknowledged: true);
            }

            await Eventually.UntilAsync(() => _counters.RosterEvents == 2, "the live event is read once there is room");
            Assert.Equal(PerEventOutbox.Capacity, outbox.PendingCount);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Eventually.Limit));
        Assert.Equal(makeRoom ? 4 : 3, _counters.Frames); // without room, the live event was never read
    }
}
