using System.Diagnostics;
using System.Globalization;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// One nats-server of a cluster, run as a process (Debian's nats-server, as scripts/test.sh installs
/// it): its own client, route and monitoring ports on 127.0.0.1, JetStream with its store in a
/// directory of the cluster's. Killed, restarted (same ports, same store) and paused as a whole process.
/// </summary>
internal sealed class NatsClusterNode : IDisposable
{
    /// <summary>The environment variable naming the nats-server executable (default: nats-server on PATH, or /usr/sbin's).</summary>
    public const string ExecutableVariable = "ROSTERBRIDGE_TEST_NATS_SERVER";

    private readonly string _configFile;
    private Process? _process;

    internal NatsClusterNode(string name, string directory, int clientPort, int routePort, int monitorPort)
    {
        Name = name;
        ClientPort = clientPort;
        RoutePort = routePort;
        MonitorPort = monitorPort;
        StoreDirectory = Path.Combine(directory, name);
        LogFile = Path.Combine(directory, name + ".log");
        _configFile = Path.Combine(directory, name + ".conf");
    }

    /// <summary>The server's name, as JetStream names a stream's leader and replicas.</summary>
    public string Name { get; }

    public int ClientPort { get; }

    public int RoutePort { get; }

    public int MonitorPort { get; }

    public string StoreDirectory { get; }

    public string LogFile { get; }

    public Uri Url => new(string.Create(CultureInfo.InvariantCulture, $"nats://127.0.0.1:{ClientPort}"));

    /// <summary>True while the process runs (paused or not).</summary>
    public bool IsRunning => _process is { HasExited: false };

    public bool IsPaused { get; private set; }

    /// <summary>Every line of the server's log, across its restarts (it appends).</summary>
    public string Log() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : string.Empty;

    /// <summary>Writes the server's configuration: routes to every peer of the cluster, and the clients' <paramref name="authorization"/> (none when empty).</summary>
    internal void Configure(string clusterName, IEnumerable<NatsClusterNode> peers, string authorization = "")
    {
        var routes = string.Join(", ", peers.Where(peer => peer != this).Select(peer => $"\"nats-route://127.0.0.1:{peer.RoutePort.ToString(CultureInfo.InvariantCulture)}\""));
        File.WriteAllText(_configFile, string.Create(CultureInfo.InvariantCulture, $$"""
            server_name: "{{Name}}"
            listen: "127.0.0.1:{{ClientPort}}"
            http: "127.0.0.1:{{MonitorPort}}"
            log_file: "{{LogFile}}"
            jetstream {
              store_dir: "{{StoreDirectory}}"
              max_memory_store: 64MB
              max_file_store: 256MB
            }
            cluster {
              name: "{{clusterName}}"
              listen: "127.0.0.1:{{RoutePort}}"
              routes: [{{routes}}]
            }
            {{authorization}}
            """));
    }

    /// <summary>Starts the process (again after <see cref="Kill"/>, with the same store); does not wait for it to serve.</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running");
        }

        var start = new ProcessStartInfo(Executable()) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(_configFile);
        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        IsPaused = false;
    }

    /// <summary>SIGKILL: the server is gone at once, as a crashed or powered-off host's is.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        if (IsPaused)
        {
            Resume(); // a stopped process dies of SIGKILL too, but its peers should not see it come back first
        }

        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP: the process hangs with its sockets open, as a hung host or one cut off by a partition looks to its peers.</summary>
    public void Pause()
    {
        Signal("STOP");
        IsPaused = true;
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        Signal("CONT");
        IsPaused = false;
    }

    /// <summary>True when the server's monitoring says it is healthy (with JetStream, its meta group and streams current).</summary>
    public async Task<bool> IsHealthyAsync(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{MonitorPort}/healthz")));
        return response.IsSuccessStatusCode;
    }

    /// <summary>The end of the server's log, for a failure message.</summary>
    public string LogTail(int lines = 30) =>
        File.Exists(LogFile) ? string.Join('\n', File.ReadLines(LogFile).TakeLast(lines)) : "(no log)";

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            if (IsPaused)
            {
                Resume();
            }

            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
    }

    private static string Executable()
    {
        if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } named)
        {
            return named;
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/local/bin").Select(directory => Path.Combine(directory, "nats-server")).FirstOrDefault(File.Exists);
        return onPath ?? throw new InvalidOperationException("nats-server is not installed (scripts/test.sh installs it: apt-get install nats-server)");
    }

    private void Signal(string signal)
    {
        if (_process is null || _process.HasExited)
        {
            throw new InvalidOperationException($"{Name} is not running");
        }

        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} exited with {kill.ExitCode}");
        }
    }
}
