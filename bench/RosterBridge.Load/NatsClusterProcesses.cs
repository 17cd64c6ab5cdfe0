using System.Globalization;

namespace RosterBridge.Load;

/// <summary>
/// Three nats-server processes on loopback as one cluster, as nats-server's documentation builds it:
/// a cluster name, routes from each server to the others, JetStream on each with its own store in
/// the work folder. Ready when every server's <c>/healthz</c> says so (routes up, a meta leader).
/// </summary>
internal sealed class NatsClusterProcesses : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ChildProcess> _servers;

    private NatsClusterProcesses(List<ChildProcess> servers, IReadOnlyList<int> clientPorts, string version)
    {
        _servers = servers;
        ClientPorts = clientPorts;
        Version = version;
    }

    public IReadOnlyList<int> ClientPorts { get; }

    public string Version { get; }

    /// <summary>Every server, as a bridge's <c>Nats:Url</c> lists them.</summary>
    public string Urls => string.Join(",", ClientPorts.Select(port => string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{port}")));

    public IReadOnlyList<int> Pids => _servers.Select(server => server.Id).ToList();

    public Task AnyExited => Task.WhenAny(_servers.Select(server => server.Exited));

    public static async Task<NatsClusterProcesses> StartAsync(string workDir, string logDir, int size, CancellationToken cancellationToken)
    {
        var nodes = Enumerable.Range(1, size).Select(i => (Name: $"n{i}", Client: FreePort.Next(), Route: FreePort.Next(), Monitor: FreePort.Next())).ToList();
        var servers = new List<ChildProcess>();
        try
        {
            foreach (var node in nodes)
            {
                var store = Path.Combine(workDir, "cluster", node.Name);
                Directory.CreateDirectory(store);
                var routes = string.Join(", ", nodes.Where(peer => peer != node).Select(peer => string.Create(CultureInfo.InvariantCulture, $"\"nats-route://127.0.0.1:{peer.Route}\"")));
                var config = Path.Combine(workDir, "cluster", node.Name + ".conf");
                await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
                    server_name: "{{node.Name}}"
                    listen: "127.0.0.1:{{node.Client}}"
                    http: "127.0.0.1:{{node.Monitor}}"
                    jetstream { store_dir: "{{store}}" }
                    cluster {
                      name: "rosterbridge-load"
                      listen: "127.0.0.1:{{node.Route}}"
                      routes: [{{routes}}]
                    }

                    """), cancellationToken);
                servers.Add(ChildProcess.Start($"nats-server {node.Name}", "nats-server", ["-c", config], Path.Combine(logDir, $"nats-{node.Name}.log")));
            }

            var versionLine = await servers[0].WaitForLineAsync(line => line.Contains("Version:", StringComparison.Ordinal), StartTimeout, cancellationToken);
            var version = versionLine[(versionLine.IndexOf("Version:", StringComparison.Ordinal) + "Version:".Length)..].Trim();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(StartTimeout);
            foreach (var node in nodes)
            {
                while (!await HealthyAsync(http, node.Monitor, deadline.Token))
                {
                    await Task.Delay(100, deadline.Token);
                }
            }

            return new NatsClusterProcesses(servers, nodes.Select(node => node.Client).ToList(), version);
        }
        catch
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_servers.Select(server => server.StopAsync(TimeSpan.FromSeconds(5))));
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<bool> HealthyAsync(HttpClient http, int port, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/healthz")), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
