using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// A NATS cluster of nats-server processes on 127.0.0.1, as nats-server's documentation builds one:
/// a cluster name, routes from each server to every other, JetStream on each with its own store
/// (a temporary directory), so that an R3 stream has a replica on every server.
/// </summary>
internal sealed class NatsCluster : IAsyncDisposable
{
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rosterbridge-cluster-");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <param name="authorization">The servers' users (<see cref="ClusterStore.Authorization"/>); none when empty.</param>
    public NatsCluster(int size = 3, string authorization = "")
    {
        Name = $"rb-{Guid.NewGuid():N}"[..11];
        Nodes = Enumerable.Range(1, size)
            .Select(i => new NatsClusterNode(string.Create(CultureInfo.InvariantCulture, $"n{i}"), _directory.FullName, FreeTcpPort.Find(), FreeTcpPort.Find(), FreeTcpPort.Find()))
            .ToList();
        foreach (var node in Nodes)
        {
            node.Configure(Name, Nodes, authorization);
        }
    }

    public string Name { get; }

    public IReadOnlyList<NatsClusterNode> Nodes { get; }

    /// <summary>Every server, as a bridge's <c>Nats:Url</c> lists them.</summary>
    public IReadOnlyList<BrokerUrl> Servers => Nodes.Select(node => new BrokerUrl("127.0.0.1", node.ClientPort)).ToList();

    public NatsClusterNode this[string name] => Nodes.Single(node => node.Name == name);

    /// <summary>Starts every server and waits until each says it is healthy (routes up, a JetStream meta leader).</summary>
    public async Task StartAsync()
    {
        foreach (var node in Nodes)
        {
            node.Start();
        }

        foreach (var node in Nodes)
        {
            await WaitHealthyAsync(node);
        }
    }

    /// <summary>Waits until the server answers its health check: after a restart, caught up with its peers.</summary>
    public async Task WaitHealthyAsync(NatsClusterNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        try
        {
            await Retry.Until(() => node.IsHealthyAsync(_http), Settle, $"{node.Name} healthy");
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n{node.Name}'s log:\n{node.LogTail()}");
        }
    }

    /// <summary>A server that is running and not paused, other than <paramref name="except"/>.</summary>
    public NatsClusterNode Survivor(params NatsClusterNode[] except) =>
        Nodes.First(node => node.IsRunning && !node.IsPaused && !except.Contains(node));

    /// <summary>The stream's info as <paramref name="via"/> answers it ($JS.API.STREAM.INFO): its leader and replicas.</summary>
    public static async Task<StreamInfo> StreamInfoAsync(NatsClusterNode via, string stream)
    {
        ArgumentNullException.ThrowIfNull(via);
        await using var connection = new NatsConnection(new NatsOpts { Url = via.Url.ToString(), RequestTimeout = TimeSpan.FromSeconds(3) });
        var js = new NatsJSContext(connection);
        return (await js.GetStreamAsync(stream)).Info;
    }

    /// <summary>Waits until the stream has a leader, found through a running server, and returns that server.</summary>
    public async Task<NatsClusterNode> StreamLeaderAsync(string stream)
    {
        NatsClusterNode? leader = null;
        await Retry.Until(
            async () =>
            {
                var info = await StreamInfoAsync(Survivor(), stream);
                leader = Nodes.FirstOrDefault(node => node.Name == info.Cluster?.Leader && node.IsRunning && !node.IsPaused);
                return leader is not null;
            },
            Settle,
            $"a leader of stream {stream}");
        return leader!;
    }

    /// <summary>Waits until every replica of the stream is current: each server that was down has caught up.</summary>
    public async Task WaitStreamCurrentAsync(string stream, int replicas)
    {
        await Retry.Until(
            async () =>
            {
                var info = await StreamInfoAsync(Survivor(), stream);
                return info.Cluster?.Leader is not null
                    && info.Cluster.Replicas is { } peers
                    && peers.Count == replicas - 1
                    && peers.All(peer => peer.Current && !peer.Offline);
            },
            Settle,
            $"every replica of stream {stream} current");
    }

    /// <summary>Every server's log tail, for a failure message.</summary>
    public string Logs() => string.Join("\n", Nodes.Select(node => $"--- {node.Name} ---\n{node.LogTail(15)}"));

    public ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            node.Dispose();
        }

        _http.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // a server still flushing its store: the temporary directory is left to the system
        }

        return ValueTask.CompletedTask;
    }
}
