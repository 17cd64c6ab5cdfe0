using RosterBridge.Tests.Roster;
using Xunit;
using static RosterBridge.Tests.Daemon.EventBytes;

namespace RosterBridge.Tests.Daemon;

/// <summary>What the bridge sends the daemon: its HELLO, and nothing else, whatever the daemon sends.</summary>
public sealed class DaemonWritesTests
{
    [Fact]
    public async Task After_its_HELLO_the_bridge_writes_nothing_to_the_daemon()
    {
        var afterHello = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(
                Welcome(),
                RosterEvent(1, 2, Datums.Attach(11, 3, "one"), replay: true),
                Sync(3),
                RosterEvent(1, 4, Datums.Update(11, 4, "one")),
                RosterEvent(99, 5, Datums.Attach(12, 3, "bad endpoint")),
                RosterEvent(2, 6, Datums.Detach(13)));
            afterHello.SetResult(await connection.CountTheRestAsync());
        });
        var rig = new ClientRig(daemon.Endpoint);
        rig.Start();
        await rig.UntilAsync(() => rig.Counters.RosterEvents + rig.Counters.Rejected >= 3, "every event is handled");

        await rig.DisposeAsync(); // the bridge stops and closes the connection

        Assert.Equal(0, await afterHello.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
