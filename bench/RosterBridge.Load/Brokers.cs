using System.Globalization;

namespace RosterBridge.Load;

/// <summary>mosquitto and nats-server (JetStream) on free loopback ports, state in a temporary folder, no persistence.</summary>
internal sealed class Brokers : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess _mosquitto;
    private readonly ChildProcess _nats;

    private Brokers(ChildProcess mosquitto, int mqttPort, string mosquittoVersion, ChildProcess nats, int natsPort, string natsVersion)
    {
        _mosquitto = mosquitto;
        _nats = nats;
        MqttPort = mqttPort;
        NatsPort = natsPort;
        MosquittoVersion = mosquittoVersion;
        NatsVersion = natsVersion;
    }

    public int MqttPort { get; }

    public int NatsPort { get; }

    public string MosquittoVersion { get; }

    public string NatsVersion { get; }

    public int MosquittoPid => _mosquitto.Id;

    public int NatsPid => _nats.Id;

    /// <summary>Either broker exited: the run cannot go on.</summary>
    public Task AnyExited => Task.WhenAny(_mosquitto.Exited, _nats.Exited);

    public static async Task<Brokers> StartAsync(string workDir, string logDir, CancellationToken cancellationToken)
    {
        var mqttPort = FreePort.Next();
        var config = Path.Combine(workDir, "mosquitto.conf");
        // No persistence; queues to a subscriber unbounded, so that a busy live subscriber is never
        // dropped messages (it would count fewer than were sent). TCP_NODELAY on the broker's
        // sockets: with mosquitto's default (Nagle on), a QoS 1 delivery can wait for a delayed ACK,
        // and both the bridge's and the broker's own p99 become that 40 ms timer, not the software.
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            listener {mqttPort} 127.0.0.1
            set_tcp_nodelay true
            allow_anonymous true
            persistence false
            log_dest stderr
            max_queued_messages 0

            """), cancellationToken);
        var mosquittoPath = File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
        var mosquitto = ChildProcess.Start("mosquitto", mosquittoPath, ["-c", config], Path.Combine(logDir, "mosquitto.log"));
        ChildProcess? nats = null;
        try
        {
            var running = await mosquitto.WaitForLineAsync(line => line.Contains(" running", StringComparison.Ordinal), StartTimeout, cancellationToken);
            var mosquittoVersion = Word(running, "version") ?? "?";

            var natsPort = FreePort.Next();
            var store = Path.Combine(workDir, "nats");
            Directory.CreateDirectory(store);
            nats = ChildProcess.Start("nats-server", "nats-server",
                ["-a", "127.0.0.1", "-p", natsPort.ToString(CultureInfo.InvariantCulture), "-js", "-sd", store],
                Path.Combine(logDir, "nats-server.log"));
            await nats.WaitForLineAsync(line => line.Contains("Server is ready", StringComparison.Ordinal), StartTimeout, cancellationToken);
            var versionLine = await nats.WaitForLineAsync(line => line.Contains("Version:", StringComparison.Ordinal), StartTimeout, cancellationToken);
            var natsVersion = versionLine[(versionLine.IndexOf("Version:", StringComparison.Ordinal) + "Version:".Length)..].Trim();
            return new Brokers(mosquitto, mqttPort, mosquittoVersion, nats, natsPort, natsVersion);
        }
        catch
        {
            await mosquitto.DisposeAsync();
            if (nats is not null)
            {
                await nats.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_mosquitto.StopAsync(TimeSpan.FromSeconds(5)), _nats.StopAsync(TimeSpan.FromSeconds(5)));
        await _mosquitto.DisposeAsync();
        await _nats.DisposeAsync();
    }

    /// <summary>The word after <paramref name="before"/> in <paramref name="line"/>.</summary>
    private static string? Word(string line, string before)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(words, before);
        return at >= 0 && at + 1 < words.Length ? words[at + 1] : null;
    }
}
