using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using RosterBridge.Cli;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// <c>Nats:Replicas</c> against a stream (or, in KV mode, a bucket) that exists with fewer: the bridge
/// runs with it and never changes it, and <c>rosterbridge check</c> reports the shortfall.
/// </summary>
[Collection(OneClusterAtATime.Name)]
public sealed class ReplicaShortfallTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(ClusterFailoverTests.Stores), MemberType = typeof(ClusterFailoverTests))]
    public async Task A_stream_or_bucket_with_fewer_replicas_than_asked_is_used_and_reported_but_not_changed(string name)
    {
        var store = ClusterStore.Named(name);
        await using var cluster = new NatsCluster();
        await cluster.StartAsync();
        await using (var connection = new NatsConnection(new NatsOpts { Url = cluster.Nodes[0].Url.ToString() }))
        {
            // As an operator might have made it: fit for the roster, one replica.
            var js = new NatsJSContext(connection);
            if (store.Keys)
            {
                await new NatsKVContext(js).CreateStoreAsync(new NatsKVConfig(ClusterStore.Bucket) { History = 1, NumberOfReplicas = 1 });
            }
            else
            {
                await js.CreateStreamAsync(new StreamConfig("VMSIG_ROSTER", ["vmsig.*.roster.*"]) { MaxMsgsPerSubject = 1, NumReplicas = 1 });
            }
        }

        await using var host = new BridgeHarness(null, null, output, "r1");
        await host.StartDaemonAsync();
        host.Churn(20, seed: 7);
        host.StartBridge(opts => opts with
        {
            Nats = store.Adjust(new NatsSinkOpts { Url = cluster.Servers[0], Servers = cluster.Servers, Replicas = 3, PublishTimeout = TimeSpan.FromSeconds(2) }),
        });
        var expected = ExpectedRoster.From(host.Node, host.Daemon.Snapshot());
        await Retry.Until(async () => expected.IsMatchedBy((await ClusterRoster.ReadAsync(cluster.Nodes[1].Url, store)).Of(host.Node)), NatsCluster.Settle);

        Assert.Equal(1, (await NatsCluster.StreamInfoAsync(cluster.Nodes[2], store.Stream)).Config.NumReplicas);
        var commandLine = new Dictionary<string, string?>
        {
            ["Node"] = host.Node,
            ["Daemon:Endpoint"] = $"unix://{host.Daemon.Endpoint.Address}",
            ["Mqtt:Url"] = "off",
            ["Nats:Url"] = string.Join(",", cluster.Servers.Select(server => server.ToString("nats"))),
            ["Nats:Replicas"] = "3",
            ["Health:Port"] = "0",
        };
        if (store.Keys)
        {
            commandLine["Nats:Mode"] = "kv";
        }

        using var report = new StringWriter();
        var exit = await CheckCommand.RunAsync(commandLine, report, CancellationToken.None);

        output.WriteLine(report.ToString());
        Assert.Equal(0, exit);
        Assert.Contains(
            store.Keys
                ? "warning: KV bucket vmsig_roster (stream KV_vmsig_roster) has 1 replica(s) and Nats:Replicas asks 3"
                : "warning: stream VMSIG_ROSTER has 1 replica(s) and Nats:Replicas asks 3",
            report.ToString(),
            StringComparison.Ordinal);
        Assert.Equal(1, (await NatsCluster.StreamInfoAsync(cluster.Nodes[0], store.Stream)).Config.NumReplicas);
    }
}
