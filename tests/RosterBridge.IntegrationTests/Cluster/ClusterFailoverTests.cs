using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// Three bridges, three daemons, one R3 stream (or, in KV mode, one R3 bucket) on a three-server NATS cluster, through the loss of
/// a server: killed (the stream's leader), hung (SIGSTOP), and a bridge restarted while a server is
/// down. After each, a late consumer on a surviving server sees every node's roster exactly, each
/// entry written by its own node's bridge.
/// </summary>
/// <remarks>
/// The short form (CI) goes through each once. <c>ROSTERBRIDGE_CLUSTER_ROUNDS</c> (scripts/cluster.sh)
/// repeats each fault that many times on the same cluster, each time on the server that is then the leader.
/// Each test runs with each <see cref="ClusterStore"/>: the stream, and the KV bucket (each bridge as its node's
/// user, allowed only its own keys, so that no server log of a refusal proves no bridge touched another's).
/// </remarks>
[Collection(OneClusterAtATime.Name)]
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    public const string RoundsVariable = "ROSTERBRIDGE_CLUSTER_ROUNDS";

    public static TheoryData<string> Stores => new() { ClusterStore.RosterStream.Name, ClusterStore.RosterBucket.Name };

    private static int Rounds =>
        int.TryParse(Environment.GetEnvironmentVariable(RoundsVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var rounds) && rounds > 0 ? rounds : 1;

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Killing_the_streams_leader_while_every_roster_changes_and_restarting_it_loses_nothing(string store)
    {
        await using var rig = await ClusterRig.StartAsync(ClusterStore.Named(store), output);
        var stream = rig.Store.Stream;
        var created = await NatsCluster.StreamInfoAsync(rig.Cluster.Nodes[0], stream);
        Assert.Equal(ClusterRig.Replicas, created.Config.NumReplicas);
        Assert.Equal([rig.Store.Created], created.Config.Subjects);

        for (var round = 0; round < Rounds; round++)
        {
            var leader = await rig.Cluster.StreamLeaderAsync(stream);
            output.WriteLine($"round {round}: killing {leader.Name}, the leader of {stream}");
            await leader.KillAsync();
            rig.ChangeEveryRoster(seed: 1000 + (round * 10));
            await rig.ConvergeAsync(rig.Cluster.Survivor(leader));

            leader.Start();
            await rig.Cluster.WaitHealthyAsync(leader);
            await rig.Cluster.WaitStreamCurrentAsync(stream, ClusterRig.Replicas);
            rig.ChangeEveryRoster(seed: 1005 + (round * 10));
            await rig.ConvergeAsync(rig.Cluster.Survivor(leader));
            await rig.ConvergeAsync(leader);
        }

        Assert.All(rig.Hosts, host => Assert.True(host.BridgeIsRunning, $"{host.Node}'s bridge stopped"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_hung_server_and_its_resumption_lose_nothing(string store)
    {
        await using var rig = await ClusterRig.StartAsync(ClusterStore.Named(store), output);
        var stream = rig.Store.Stream;
        for (var round = 0; round < Rounds; round++)
        {
            // The leader hangs: its peers must elect another, and bridges connected to it must leave it.
            var hung = await rig.Cluster.StreamLeaderAsync(stream);
            output.WriteLine($"round {round}: SIGSTOP {hung.Name}, the leader of {stream}");
            hung.Pause();
            rig.ChangeEveryRoster(seed: 2000 + (round * 10));
            await rig.ConvergeAsync(rig.Cluster.Survivor(hung));

            hung.Resume();
            await rig.Cluster.WaitHealthyAsync(hung);
            await rig.Cluster.WaitStreamCurrentAsync(stream, ClusterRig.Replicas);
            rig.ChangeEveryRoster(seed: 2005 + (round * 10));
            await rig.ConvergeAsync(hung);
        }

        Assert.All(rig.Hosts, host => Assert.True(host.BridgeIsRunning, $"{host.Node}'s bridge stopped"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_bridge_restarted_while_a_server_is_down_puts_its_roster_back_and_touches_no_other(string store)
    {
        await using var rig = await ClusterRig.StartAsync(ClusterStore.Named(store), output);
        var stream = rig.Store.Stream;
        for (var round = 0; round < Rounds; round++)
        {
            var down = await rig.Cluster.StreamLeaderAsync(stream);
            var restarted = rig.Hosts[round % rig.Hosts.Count];
            output.WriteLine($"round {round}: {down.Name} down, restarting {restarted.Node}'s bridge");
            await down.KillAsync();

            // Stopped as SIGTERM stops it; its daemon goes on changing while it is away.
            await restarted.StopBridgeAsync();
            rig.ChangeEveryRoster(seed: 3000 + (round * 10));
            rig.StartBridge(restarted);
            await rig.ConvergeAsync(rig.Cluster.Survivor(down));

            down.Start();
            await rig.Cluster.WaitHealthyAsync(down);
            await rig.Cluster.WaitStreamCurrentAsync(stream, ClusterRig.Replicas);
            await rig.ConvergeAsync(down);
        }

        Assert.All(rig.Hosts, host => Assert.True(host.BridgeIsRunning, $"{host.Node}'s bridge stopped"));
    }
}
