using RosterBridge.Cli;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// <c>rosterbridge show --all-nodes</c> and <c>watch --all-nodes</c>: the whole cluster's roster, node by
/// node, from the three-server NATS cluster (given as a list of servers); each node's roster exactly
/// as its daemon has it; in stream mode and in KV mode (the bucket's keys). <see cref="AllNodesMqttCommandTests"/> does the same over one MQTT broker.
/// </summary>
[Collection(OneClusterAtATime.Name)]
public sealed class AllNodesCommandTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Theory]
    [MemberData(nameof(ClusterFailoverTests.Stores), MemberType = typeof(ClusterFailoverTests))]
    public async Task Show_all_nodes_over_the_nats_cluster_prints_every_nodes_roster_node_by_node(string store)
    {
        await using var rig = await ClusterRig.StartAsync(ClusterStore.Named(store), output);
        var commandLine = Mode(rig.Store, new Dictionary<string, string?>
        {
            ["Nats:Url"] = string.Join(",", rig.Cluster.Nodes.Select(node => node.Url.ToString().TrimEnd('/'))),
            ["Mqtt:Url"] = "off",
        });
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await ShowCommand.RunAsync(commandLine, stdout, stderr, CancellationToken.None, allNodes: true);

        Assert.True(exit == 0, stderr.ToString());
        var (nodes, headers) = CommandOutput.Show(stdout.ToString(), '.');
        Assert.Contains("from 3 node(s)", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(rig.Hosts.Select(host => host.Node).Order(StringComparer.Ordinal), nodes.Keys.Order(StringComparer.Ordinal));
        foreach (var host in rig.Hosts)
        {
            var expected = ExpectedRoster.From(host.Node, host.Daemon.Snapshot());
            Assert.Null(expected.Mismatch(nodes[host.Node]));
            Assert.Contains(headers, header => header.StartsWith($"node {host.Node}: {expected.Endpoints.Count} entries", StringComparison.Ordinal));
        }

        Assert.Equal(rig.Hosts.Select(host => host.Node).Order(StringComparer.Ordinal), headers.Select(header => header.Split(' ', ':')[1]));
    }

    [Fact]
    public async Task Show_all_nodes_takes_no_node()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await ShowCommand.RunAsync(new Dictionary<string, string?> { ["Node"] = "pve1", ["Mqtt:Url"] = "off" }, stdout, stderr, CancellationToken.None, allNodes: true);

        Assert.Equal(2, exit);
        Assert.Contains("--all-nodes", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ClusterFailoverTests.Stores), MemberType = typeof(ClusterFailoverTests))]
    public async Task Watch_all_nodes_over_the_nats_cluster_follows_every_nodes_changes_through_a_lost_server(string store)
    {
        await using var rig = await ClusterRig.StartAsync(ClusterStore.Named(store), output);
        // The watcher is given one surviving server only: the one it is on must stay up.
        var watched = rig.Cluster.Nodes[0];
        var commandLine = Mode(rig.Store, new Dictionary<string, string?> { ["Nats:Url"] = watched.Url.ToString().TrimEnd('/') });
        using var stdout = new CommandOutput.Captured();
        using var stderr = new CommandOutput.Captured();
        using var stop = new CancellationTokenSource();
        var watch = WatchCommand.RunAsync(commandLine, plain: true, stdout, stderr, stop.Token, allNodes: true);

        await WatchedAsync(rig, stdout, stderr, watch);

        // Every node changes while another server of the cluster is down.
        await rig.Cluster.Survivor(watched).KillAsync();
        rig.ChangeEveryRoster(seed: 4000);
        await WatchedAsync(rig, stdout, stderr, watch);

        await stop.CancelAsync();
        Assert.Equal(0, await watch.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>The command line with the store's mode: KV mode reads the bucket's keys of every node.</summary>
    private static Dictionary<string, string?> Mode(ClusterStore store, Dictionary<string, string?> commandLine)
    {
        if (store.Keys)
        {
            commandLine["Nats:Mode"] = "kv";
            commandLine["Nats:Bucket"] = ClusterStore.Bucket;
        }

        return commandLine;
    }

    private static async Task WatchedAsync(ClusterRig rig, CommandOutput.Captured stdout, CommandOutput.Captured stderr, Task<int> watch)
    {
        string? mismatch = null;
        try
        {
            await Retry.Until(
                () =>
                {
                    mismatch = CommandOutput.WatchMismatch(CommandOutput.Watch(stdout.Lines()), rig.Hosts.Select(host => (host.Node, (IReadOnlyList<Simulate.RosterSlot?>)host.Daemon.Snapshot())));
                    return watch.IsCompleted || mismatch is null;
                },
                Within);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}: {mismatch}");
        }

        Assert.False(watch.IsCompleted, $"watch ended: {stderr}");
    }
}
