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

        await rig.UntilAsync(() => rig.Counters.RosterEvents == 3, "every event of the one write is applied");
        Assert.Equal(5, rig.Counters.Frames);
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

            await rig.UntilAsync(() => rig.Counters.RosterEvents == 5, $"every event is applied (split at byte {split})");
            Assert.Equal(frames.Length, rig.Counters.Frames);
            Assert.False(rig.Table[1].IsOccupied);
            Assert.Equal(4u, rig.Table[2].Datum.State);
            Assert.Equal(13u, rig.Table[3].Datum.Vmid);
            Assert.Equal(1, rig.Counters.Syncs);
            Assert.Equal(0, rig.Counters.ProtocolErrors);
            await rig.StopAsync();
        }
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(2u)]
    [InlineData(3u)]
    public async Task ERROR_1_2_or_3_ends_RunAsync_with_a_refusal_and_no_retry(uint code)
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(Error(code, "not for you")); // and closes
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();

        var refused = await Assert.ThrowsAsync<DaemonRefusedException>(() => rig.Running.WaitAsync(Eventually.Limit));

        Assert.Equal(code, (uint)refused.Code);
        Assert.Contains("not for you", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, daemon.Connections);
        Assert.Empty(rig.BackoffWaits);
    }

    [Fact]
    public async Task WELCOME_without_CAP_ROSTER_is_a_refusal_and_what_follows_it_is_not_applied()
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(Welcome(Capabilities.MemCtx), RosterEvent(1, 2, Datums.Attach(11), replay: true), Sync(3));
            await connection.HoldAsync();
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();

        var refused = await Assert.ThrowsAsync<DaemonRefusedException>(() => rig.Running.WaitAsync(Eventually.Limit));

        Assert.Equal(DaemonErrorCode.CapabilityRefused, refused.Code);
        Assert.Contains("CAP_ROSTER", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, rig.Counters.Frames);
        Assert.Equal(0, rig.SyncCallbacks);
        Assert.False(rig.Table.IsSynced);
    }

    [Fact]
    public async Task Another_ERROR_code_drops_the_connection_unapplied_and_reconnects()
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            if (connection.Number == 1)
            {
                // All in one write: what follows the ERROR must not be applied.
                await connection.SendAsync(Welcome(), RosterEvent(1, 2, Datums.Attach(11), replay: true), Error(99, "busy"), Sync(3),
                    RosterEvent(4, 4, Datums.Attach(14)));
            }
            else
            {
                await connection.SendAsync(Welcome(), RosterEvent(2, 2, Datums.Attach(12), replay: true), Sync(3));
            }

            await connection.HoldAsync();
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();

        await rig.PassBackoffAsync(1);
        await rig.UntilAsync(() => rig.Client.IsLive, "the second connection is synced");

        Assert.Equal(2, daemon.Connections);
        Assert.Equal(1, rig.Counters.Syncs);
        Assert.Equal(1, rig.SyncCallbacks);
        Assert.Equal([2], Enumerable.Range(0, 64).Where(i => rig.Table[i].IsOccupied));
        Assert.True(rig.Log.Contains("ERROR 99 (unknown code): busy"), string.Join(Environment.NewLine, rig.Log.Lines));
    }

    public static TheoryData<string, byte[], string> ProtocolErrors => new()
    {
        { "bad length", [.. Welcome(), .. BitConverter.GetBytes(5u), .. new byte[5]], "frame length 5 is outside 24..4096" },
        { "length too large", [.. Welcome(), .. BitConverter.GetBytes(4097u)], "frame length 4097 is outside 24..4096" },
        { "SYNC before WELCOME", Sync(2), "SYNC before WELCOME" },
        { "second WELCOME", [.. Welcome(), .. RosterEvent(1, 2, Datums.Attach(11), replay: true), .. Welcome()], "a second WELCOME" },
        { "second SYNC", [.. Welcome(), .. Sync(2), .. RosterEvent(1, 3, Datums.Attach(11)), .. Sync(4)], "a second SYNC" },
    };

    [Theory]
    [MemberData(nameof(ProtocolErrors))]
    public async Task A_protocol_error_drops_the_connection_and_the_next_replay_is_the_roster(string what, byte[] bad, string problem)
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(connection.Number == 1
                ? bad
                : [.. Welcome(), .. RosterEvent(2, 2, Datums.Attach(12), replay: true), .. Sync(3)]);
            await connection.HoldAsync(); // the bridge hangs up, not the daemon
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();

        await rig.PassBackoffAsync(1);
        await rig.UntilAsync(() => rig.Client.IsLive && rig.Table[2].IsOccupied, $"after {what}, the second connection is synced");

        Assert.Equal(2, daemon.Connections);
        Assert.Equal(1, rig.Counters.ProtocolErrors);
        Assert.True(rig.Log.Contains(problem), string.Join(Environment.NewLine, rig.Log.Lines));
        Assert.Equal([2], Enumerable.Range(0, 64).Where(i => rig.Table[i].IsOccupied));
    }

    [Fact]
    public async Task A_close_inside_a_frame_drops_the_connection_and_reconnects()
    {
        var live = RosterEvent(3, 4, Datums.Attach(13));
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            if (connection.Number == 1)
            {
                await connection.SendAsync([.. Welcome(), .. Sync(2), .. live.AsSpan(0, 30)]); // and closes
            }
            else
            {
                await connection.SendAsync(Welcome(), RosterEvent(2, 2, Datums.Attach(12), replay: true), Sync(3));
                await connection.HoldAsync();
            }
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();

        await rig.PassBackoffAsync(1);
        await rig.UntilAsync(() => rig.Counters.Syncs == 2 && rig.Client.IsLive, "the second connection is synced");

        Assert.True(rig.Log.Contains("the daemon closed the connection inside a frame"), string.Join(Environment.NewLine, rig.Log.Lines));
        Assert.False(rig.Table[3].IsOccupied); // the cut event never reached the roster
        Assert.True(rig.Table[2].IsOccupied);
    }

    [Fact]
    public async Task A_new_session_id_is_a_daemon_restart_and_its_replay_becomes_the_roster()
    {
        var restarted = new TaskCompletionSource();
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            if (connection.Number == 1)
            {
                await connection.SendAsync(Welcome(sessionId: 0xA), RosterEvent(1, 50, Datums.Attach(11), replay: true),
                    RosterEvent(2, 51, Datums.Attach(12), replay: true), Sync(52), RosterEvent(2, 53, Datums.Update(12, 4)));
                await restarted.Task; // and closes
            }
            else
            {
                // seq starts again: a live event older than the last session's is not stale.
                await connection.SendAsync(Welcome(sessionId: 0xB), RosterEvent(3, 2, Datums.Attach(13), replay: true), Sync(3),
                    RosterEvent(3, 4, Datums.Update(13, 5)));
                await connection.HoldAsync();
            }
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();
        await rig.UntilAsync(() => rig.Counters.RosterEvents == 3, "the first session is live");
        Assert.Equal([1, 2], Enumerable.Range(0, 64).Where(i => rig.Table[i].IsOccupied));

        restarted.SetResult();
        await rig.PassBackoffAsync(1);
        await rig.UntilAsync(() => rig.Counters.RosterEvents == 5, "the second session is live");
        Assert.Equal(9, rig.Counters.Frames);

        Assert.Equal([3], Enumerable.Range(0, 64).Where(i => rig.Table[i].IsOccupied));
        Assert.Equal(5u, rig.Table[3].Datum.State);
        Assert.Equal(0, rig.Counters.Stale);
        Assert.True(rig.Log.Contains("the daemon restarted (session 000000000000000a -> 000000000000000b)"), string.Join(Environment.NewLine, rig.Log.Lines));
    }

    [Fact]
    public async Task Live_events_not_newer_than_one_applied_are_rejected_as_stale()
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(Welcome(), RosterEvent(1, 10, Datums.Attach(11, 3), replay: true), Sync(11),
                RosterEvent(1, 12, Datums.Update(11, 4)),
                RosterEvent(1, 12, Datums.Update(11, 7)),
                RosterEvent(1, 9, Datums.Detach(11)));
            await connection.HoldAsync();
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();

        await rig.UntilAsync(() => rig.Counters.Stale == 2, "both stale events are rejected");
        Assert.Equal(6, rig.Counters.Frames);

        Assert.Equal(2, rig.Counters.RosterEvents);
        Assert.True(rig.Table[1].IsOccupied);
        Assert.Equal(4u, rig.Table[1].Datum.State);
    }
}
