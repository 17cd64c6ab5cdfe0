using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Outbox;
using RosterBridge.Tests.Roster;
using Xunit;
using static RosterBridge.Tests.Daemon.EventBytes;

namespace RosterBridge.Tests.Daemon;

/// <summary>Per-event mode with a sink that takes nothing: the daemon reader is held back, bounded, and still stops when told.</summary>
public sealed class DaemonBackpressureTests
{
    [Fact]
    public async Task A_full_per_event_outbox_holds_the_reader_back_within_bounds_and_cancellation_stops_it()
    {
        const int liveEvents = 3 * PerEventOutbox.Capacity;
        var live = new byte[liveEvents * EventWriter.WireSize];
        for (var i = 0; i < liveEvents; i++)
        {
            RosterEvent(i % 64, (ulong)(10 + i), Datums.Attach((uint)i, 3, "vm")).CopyTo(live, i * EventWriter.WireSize);
        }

        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(Welcome(), Sync(5));
            await connection.SendAsync(live); // held up once the socket's buffers are full
            await connection.HoldAsync();
        });
        var outbox = new PerEventOutbox(); // nobody takes from it: the sink is down
        await using var rig = new ClientRig(daemon.Endpoint, outbox);
        rig.Start();

        await rig.UntilAsync(() => outbox.PendingCount >= PerEventOutbox.Capacity, "the per-event queue is full");

        await rig.StopAsync(); // fails with a TimeoutException when the reader cannot be stopped
        Assert.True(rig.Running.IsCompletedSuccessfully);
        Assert.True(rig.Counters.RosterEvents < liveEvents, $"{rig.Counters.RosterEvents} events read: the reader was not held back");
        // Past the bound by at most one read's events (a read buffer and a partial frame) and the 64 slots SYNC offers.
        Assert.InRange(outbox.PendingCount, PerEventOutbox.Capacity, PerEventOutbox.Capacity + (DaemonClient.ReadBufferSize / EventWriter.WireSize) + 1 + 64);
    }
}
