using System.Net;
using System.Net.Sockets;
using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Reconnect;
using Xunit;
using Xunit.Abstractions;
using static RosterBridge.Tests.Daemon.EventBytes;

namespace RosterBridge.Tests.Daemon;

/// <summary>The daemon client's clock: backoff, the connect and handshake limits, on a fake clock over real sockets.</summary>
public sealed class DaemonClientTimeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_daemon_that_closes_after_every_SYNC_gets_a_bounded_number_of_connections_a_minute()
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(Welcome(), Sync(2)); // and closes
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        var start = rig.Clock.GetUtcNow();
        rig.Start();

        for (var wait = 1; ; wait++)
        {
            await rig.UntilAsync(() => rig.BackoffWaits.Count >= wait, $"the client waits out backoff delay {wait}");
            var due = rig.BackoffWaits[wait - 1];
            if (rig.Clock.GetUtcNow() + due - start > Window)
            {
                break;
            }

            rig.Clock.Advance(due);
        }

        var connections = daemon.Connections;
        var bound = MostConnections(rig.Reconnect, Window);
        output.WriteLine($"a daemon that closes after every SYNC: {connections} connections and {rig.Counters.Syncs} SYNCs in {Window.TotalSeconds:F0} s (fake clock); at most {bound} with the default backoff");
        Assert.Equal(connections, rig.Counters.Syncs);
        Assert.InRange(connections, 2, bound);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_backoff_starts_again_only_after_a_connection_lived_a_while_past_SYNC(bool livedLongEnough)
    {
        var close = new TaskCompletionSource();
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            await connection.SendAsync(Welcome(), Sync(2));
            if (connection.Number == 4)
            {
                await close.Task;
            }
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();
        for (var wait = 1; wait <= 3; wait++)
        {
            await rig.PassBackoffAsync(wait);
        }

        await rig.UntilAsync(() => rig.Client.IsLive, "connection 4 is synced");
        rig.Clock.Advance(livedLongEnough ? DaemonClient.StableConnection : DaemonClient.StableConnection - TimeSpan.FromMilliseconds(1));
        close.SetResult();

        await rig.UntilAsync(() => rig.BackoffWaits.Count == 4, "the client waits after connection 4");
        var backoff = new Backoff(rig.Reconnect.InitialDelay, rig.Reconnect.MaxDelay);
        Assert.InRange(rig.BackoffWaits[2], backoff.Ceiling(2) / 2, backoff.Ceiling(2)); // the third failure in a row
        if (livedLongEnough)
        {
            Assert.InRange(rig.BackoffWaits[3], backoff.Ceiling(0) / 2, backoff.Ceiling(0));
        }
        else
        {
            Assert.InRange(rig.BackoffWaits[3], backoff.Ceiling(3) / 2, backoff.Ceiling(3));
        }
    }

    [Fact]
    public async Task A_connect_that_never_completes_is_given_up_at_the_connect_limit()
    {
        // Nobody accepts, and the queue of a listener with backlog 0 holds one connection: once it
        // is taken, the kernel drops the next SYN (and its retries), so that connect hangs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var address = (IPEndPoint)listener.LocalEndPoint!;
        using var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await filler.ConnectAsync(address);
        await using var rig = new ClientRig(new DaemonEndpoint("tcp", "127.0.0.1", address.Port));

        rig.Start();
        await rig.UntilAsync(() => rig.Clock.Started.Contains(DaemonClient.ConnectTimeout), "the connect limit is running");
        Assert.Empty(rig.BackoffWaits);
        rig.Clock.Advance(DaemonClient.ConnectTimeout);

        await rig.UntilAsync(() => rig.BackoffWaits.Count == 1, "the client gives up the connect and waits to try again");
        Assert.True(rig.Log.Contains("no connection within 10 s"), string.Join(Environment.NewLine, rig.Log.Lines));
        Assert.Equal(0, rig.Counters.DaemonConnections);
    }

    [Fact]
    public async Task A_daemon_that_sends_no_SYNC_is_dropped_at_the_handshake_limit()
    {
        await using var daemon = new ScriptedDaemon(async connection =>
        {
            await connection.ReadHelloAsync();
            if (connection.Number == 1)
            {
                await connection.SendAsync(Welcome());
            }
            else
            {
                await connection.SendAsync(Welcome(), Sync(2));
            }

            await connection.HoldAsync();
        });
        await using var rig = new ClientRig(daemon.Endpoint);
        rig.Start();

        await rig.UntilAsync(() => rig.Counters.Frames == 1, "WELCOME is handled, then nothing comes");
        rig.Clock.Advance(DaemonReadLoop.HandshakeTimeout);

        await rig.PassBackoffAsync(1);
        Assert.True(rig.Log.Contains("no SYNC within 30 s of connecting"), string.Join(Environment.NewLine, rig.Log.Lines));
        await rig.UntilAsync(() => rig.Client.IsLive, "the next connection is synced");
        Assert.Equal(2, daemon.Connections);
    }

    /// <summary>Connections in <paramref name="window"/> if every backoff delay were the shortest its jitter allows.</summary>
    private static int MostConnections(ReconnectOpts reconnect, TimeSpan window)
    {
        var backoff = new Backoff(reconnect.InitialDelay, reconnect.MaxDelay);
        var connections = 1;
        for (var (failures, elapsed) = (0, backoff.Ceiling(0) / 2); elapsed <= window; elapsed += backoff.Ceiling(++failures) / 2)
        {
            connections++;
        }

        return connections;
    }
}
