using RosterBridge.Config;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>The first bridge of a cluster started while one of the three servers is down: its R3 stream (or bucket), and its roster, once the server is back.</summary>
[Collection(OneClusterAtATime.Name)]
public sealed class StartWithServerDownTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(ClusterFailoverTests.Stores), MemberType = typeof(ClusterFailoverTests))]
    public async Task A_bridge_started_while_a_server_is_down_gets_its_r3_stream_and_roster_onto_the_cluster(string name)
    {
        var store = ClusterStore.Named(name);
        await using var cluster = new NatsCluster();
        await cluster.StartAsync();
        var down = cluster.Nodes[2];
        await down.KillAsync();

        await using var host = new BridgeHarness(null, null, output, "d1");
        await host.StartDaemonAsync();
        host.Churn(20, seed: 11);
        host.StartBridge(opts => opts with
        {
            Nats = store.Adjust(new NatsSinkOpts { Url = cluster.Servers[0], Servers = cluster.Servers, Replicas = 3, PublishTimeout = TimeSpan.FromSeconds(2) }),
        });

        // nats-server places an R3 stream on a peer it has not yet seen go (the roster lands on the two up),
        // or refuses the placement (the bridge says why, and never creates it with fewer replicas than asked).
        var expected = ExpectedRoster.From(host.Node, host.Daemon.Snapshot());
        await Retry.Until(
            async () => host.Bridge!.Sink("nats")?.Problem?.Contains("with 3 replica(s)", StringComparison.Ordinal) == true
                || expected.IsMatchedBy((await ClusterRoster.ReadAsync(cluster.Nodes[0].Url, store)).Of(host.Node)),
            NatsCluster.Settle);
        Assert.True(host.BridgeIsRunning);

        down.Start();
        await cluster.WaitHealthyAsync(down);
        await cluster.WaitStreamCurrentAsync(store.Stream, 3);
        host.Churn(20, seed: 12);
        expected = ExpectedRoster.From(host.Node, host.Daemon.Snapshot());
        await Retry.Until(async () => expected.IsMatchedBy((await ClusterRoster.ReadAsync(cluster.Nodes[0].Url, store)).Of(host.Node)), NatsCluster.Settle);
        Assert.Equal(3, (await NatsCluster.StreamInfoAsync(cluster.Nodes[1], store.Stream)).Config.NumReplicas);
    }
}
