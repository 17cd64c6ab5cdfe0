using NATS.Client.Core;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Support;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// A three-server NATS cluster, and one host per server's worth of bridges: each with its own
/// simulated daemon and an in-process bridge given every server (<c>Nats:Url</c> as a list) and
/// <c>Nats:Replicas</c> 3, all sharing one stream. Judges the cluster as a late consumer does.
/// </summary>
internal sealed class ClusterRig : IAsyncDisposable
{
    public const int Replicas = 3;

    /// <summary>A key under a node that no bridge writes: the permission probe's.</summary>
    private const string ProbeKey = "probe";

    private readonly ITestOutputHelper _output;

    private ClusterRig(ClusterStore store, ITestOutputHelper output, int hosts)
    {
        Store = store;
        _output = output;
        Hosts = Enumerable.Range(1, hosts).Select(i => new BridgeHarness(null, null, output, $"c{i}")).ToList();
        Cluster = new NatsCluster(Replicas, store.Authorization(Hosts.Select(host => host.Node)));
    }

    public ClusterStore Store { get; }

    public NatsCluster Cluster { get; }

    public IReadOnlyList<BridgeHarness> Hosts { get; }

    /// <summary>The cluster up, every daemon with a roster, every bridge running, and every roster exact on the cluster.</summary>
    public static async Task<ClusterRig> StartAsync(ClusterStore store, ITestOutputHelper output, int hosts = 3)
    {
        var rig = new ClusterRig(store, output, hosts);
        try
        {
            await rig.Cluster.StartAsync();
            if (store.NodeUsers)
            {
                await rig.ProveNodeUsersAreHeldToTheirKeysAsync();
            }

            for (var i = 0; i < rig.Hosts.Count; i++)
            {
                await rig.Hosts[i].StartDaemonAsync();
                rig.Hosts[i].Churn(40, seed: 100 + i);
                rig.StartBridge(rig.Hosts[i]);
            }

            await rig.ConvergeAsync(rig.Cluster.Nodes[0]);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the host's bridge with every server of the cluster, as a deployment's <c>Nats:Url</c> lists them.</summary>
    public void StartBridge(BridgeHarness host) => host.StartBridge(opts => opts with
    {
        Nats = Store.Adjust(new NatsSinkOpts
        {
            Url = Cluster.Servers[0],
            Servers = Cluster.Servers,
            Replicas = Replicas,
            PublishTimeout = TimeSpan.FromSeconds(2),
            Username = Store.NodeUsers ? host.Node : null,
            Password = Store.NodeUsers ? new Secret(ClusterStore.Password(host.Node), null) : null,
        }),
    });

    /// <summary>Changes every host's roster (and checks that each did change).</summary>
    public void ChangeEveryRoster(int seed)
    {
        foreach (var host in Hosts)
        {
            var before = host.Daemon.Snapshot();
            host.Churn(60, seed++);
            if (before.SequenceEqual(host.Daemon.Snapshot()))
            {
                throw new InvalidOperationException($"the churn left {host.Node}'s roster as it was");
            }
        }
    }

    /// <summary>
    /// Waits until a late consumer on <paramref name="via"/> sees every host's roster exactly as its
    /// daemon has it now, and every entry's last write is its own node's bridge's.
    /// </summary>
    public async Task ConvergeAsync(NatsClusterNode via, TimeSpan? within = null)
    {
        var expected = Hosts.Select(host => ExpectedRoster.From(host.Node, host.Daemon.Snapshot())).ToList();
        ClusterRoster? seen = null;
        string? mismatch = null;
        try
        {
            await Retry.Until(
                async () =>
                {
                    seen = await ClusterRoster.ReadAsync(via.Url, Store);
                    mismatch = expected.Select(roster => roster.Mismatch(seen.Of(roster.Node)) is { } problem ? $"{roster.Node}: {problem}" : null).FirstOrDefault(problem => problem is not null);
                    return mismatch is null;
                },
                within ?? NatsCluster.Settle,
                $"every node's roster exact through {via.Name}");
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nfirst mismatch: {mismatch ?? "(never read)"}\n{Cluster.Logs()}");
        }

        var foreign = Store.WritersNamed ? seen!.WrittenByAnotherNode(Store) : [];
        if (foreign.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"entries last written by another node's bridge: {string.Join(", ", foreign)}");
        }

        // Each bridge may write only its own node's keys: a server that refused one says so in its log.
        var refused = Store.NodeUsers
            ? Cluster.Nodes.SelectMany(node => Violations(node).Where(line => !line.Contains($".{ProbeKey}\"", StringComparison.Ordinal)).Select(line => $"{node.Name}: {line}")).ToList()
            : [];
        if (refused.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"a server refused a bridge's write or subscription: {string.Join("\n", refused)}");
        }

        var strangers = seen!.Nodes.Keys.Except(Hosts.Select(host => host.Node)).ToList();
        if (strangers.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"entries of nodes no bridge serves: {string.Join(", ", strangers)}");
        }

        _output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} converged through {via.Name}: {string.Join(", ", Hosts.Select(host => $"{host.Node} {seen.Of(host.Node).Entries.Count} entries"))}");
    }

    /// <summary>
    /// Before any bridge runs: one node's user publishing to another node's key (one no bridge writes) is
    /// refused, and the server logs it, so that the absence of such lines later means something.
    /// </summary>
    private async Task ProveNodeUsersAreHeldToTheirKeysAsync()
    {
        var (writer, other, server) = (Hosts[0].Node, Hosts[1].Node, Cluster.Nodes[0]);
        var subject = $"$KV.{ClusterStore.Bucket}.{other}.{ProbeKey}";
        await using (var connection = new NatsConnection(new NatsOpts
        {
            Url = server.Url.ToString(),
            AuthOpts = new NatsAuthOpts { Username = writer, Password = ClusterStore.Password(writer) },
        }))
        {
            await connection.ConnectAsync();
            await connection.PublishAsync(subject, "not yours"u8.ToArray());
            await connection.PingAsync();
        }

        await Retry.Until(() => Violations(server).Any(line => line.Contains(subject, StringComparison.Ordinal)), TimeSpan.FromSeconds(10), $"{server.Name} refusing {writer}'s publish to {subject}");
    }

    /// <summary>The server's log lines of a refused publish or subscription (nats-server: "Publish Violation - user ..., Subject ...").</summary>
    private static IEnumerable<string> Violations(NatsClusterNode node) =>
        node.Log().Split('\n').Where(line => line.Contains("Publish Violation", StringComparison.Ordinal) || line.Contains("Subscription Violation", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts)
        {
            await host.DisposeAsync();
        }

        await Cluster.DisposeAsync();
    }
}
