using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Roster;
using RosterBridge.Tests.Roster;
using Xunit;
using static RosterBridge.Tests.Daemon.EventBytes;

namespace RosterBridge.Tests.Daemon;

/// <summary>The real <see cref="DaemonClient"/> over a real Unix socket, against a scripted daemon.</summary>
public sealed class DaemonClientTests
{
    [Fact]
    public async Task Live_events_written_together_with_SYNC_are_applied_without_waiting_for_another_write()
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(
                Welcome(),
                RosterEvent(1, 2, Datums.Attach(11, 3, "one"), replay: true),
                Sync(3),
                RosterEvent(1, 4, Datums.Update(11, 4, "one")),
                RosterEvent(2, 5, Datums.Attach(12, 3, "two")));
            await connection.HoldAsync(); // and then nothing, for as long as the bridge stays
        });
        await using var rig = new ClientRig(daemon.Endpoint);

        rig.Start();

        await rig.UntilAsync(() => rig.Counters.Frames == 5, "every frame of the one write is handled");
        Assert.Equal(4u, rig.Table[1].Datum.State);
        Assert.Equal(12u, rig.Table[2].Datum.Vmid);
        Assert.True(rig.Client.IsLive);
        Assert.Equal(1, rig.SyncCallbacks);
    }

    [Fact]
    public async Task A_stream_split_into_two_writes_at_any_byte_reaches_the_same_roster()
    {
        byte[][] frames =
        [
            Welcome(sessionId: 7),
            RosterEvent(1, 2, Datums.Attach(11, 3, "one"), replay: true),
            Raw((ushort)EventType.MemCtx, 48),
            RosterEvent(2, 3, Datums.Attach(12, 3, "two"), replay: true),
            Sync(4),
            RosterEvent(2, 5, Datums.Update(12, 4, "two")),
            RosterEvent(3, 6, Datums.Attach(13, 2, "three")),
            RosterEvent(1, 7, Datums.Detach(11)),
        ];
        var wire = frames.SelectMany(frame => frame).ToArray();
        var split = 0;
        var rest = new TaskCompletionSource();
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(wire.AsMemory(0, split));
            await rest.Task;
            await connection.SendAsync(wire.AsMemory(split));
            await connection.HoldAsync();
        });

        for (split = 0; split <= wire.Length; split++)
        {
            rest = new TaskCompletionSource();
            await using var rig = new ClientRig(daemon.Endpoint);
            rig.Start();

            // Every whole frame of the first write is handled before the second is sent.
            var whole = split / EventWriter.WireSize;
            await rig.UntilAsync(() => rig.Counters.Frames == whole, $"the {whole} whole frames before byte {split} are handled");
            rest.SetResult();

            await rig.UntilAsync(() => rig.Counters.Frames == frames.Length, $"every frame is handled (split at byte {split})");
            Assert.False(rig.Table[1].IsOccupied);
            Assert.Equal(4u, rig.Table[2].Datum.State);
            Assert.Equal(13u, rig.Table[3].Datum.Vmid);
            Assert.Equal(5, rig.Counters.RosterEvents); // two replayed, three live
            Assert.Equal(1, rig.Counters.Syncs);
            Assert.Equal(0, rig.Counters.ProtocolErrors);
            await rig.StopAsync();
        }
    }
}
