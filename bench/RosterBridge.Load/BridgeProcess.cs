using System.Globalization;
using System.Text.Json;

namespace RosterBridge.Load;

/// <summary>
/// <c>rosterbridge run</c> as its own process: the JIT build (<c>dotnet RosterBridge.dll</c>) or the
/// Native AOT binary. Asked through <c>/readyz</c> whether it has read everything and has nothing
/// pending; its peak resident memory read from <c>/proc</c>.
/// </summary>
internal sealed class BridgeProcess : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private readonly ChildProcess _process;
    private readonly HttpClient _http;

    private BridgeProcess(ChildProcess process, int healthPort)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort}/"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public int Pid => _process.Id;

    public long StartedAt => _process.StartedAt;

    public Task Exited => _process.Exited;

    public ChildProcess Process => _process;

    public static BridgeProcess Start(BuildKind build, string path, string mode, string node, string socketPath, Brokers brokers, string logPath, IReadOnlyList<string> extraEnvironment) =>
        Launch(build, path, $"rosterbridge ({build}, {mode})", node, socketPath, ["--mqtt", $"mqtt://127.0.0.1:{brokers.MqttPort}", "--nats", $"nats://127.0.0.1:{brokers.NatsPort}", $"--Outbox:Mode={mode}"], logPath, extraEnvironment);

    /// <summary>A bridge of one host of a cluster: NATS only, every server of the cluster listed, the stream's replicas asked.</summary>
    public static BridgeProcess StartOnCluster(BuildKind build, string path, string node, string socketPath, string natsUrls, int replicas, string logPath, IReadOnlyList<string> extraEnvironment) =>
        Launch(build, path, $"rosterbridge {node} ({build})", node, socketPath, ["--mqtt", "off", "--nats", natsUrls, FormattableString.Invariant($"--Nats:Replicas={replicas}")], logPath, extraEnvironment);

    private static BridgeProcess Launch(BuildKind build, string path, string name, string node, string socketPath, IEnumerable<string> sinkArgs, string logPath, IReadOnlyList<string> extraEnvironment)
    {
        var healthPort = FreePort.Next();
        var (file, args) = build == BuildKind.Jit ? ("dotnet", new List<string> { path }) : (path, []);
        args.AddRange(["run", "--node", node, "--daemon", "unix://" + socketPath, $"--Health:Port={healthPort}"]);
        args.AddRange(sinkArgs);

        // Only what is on the command line configures it.
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(variable => variable.StartsWith("ROSTERBRIDGE_", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(variable => variable, _ => (string?)null);
        foreach (var setting in extraEnvironment)
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            environment[setting[..equals]] = setting[(equals + 1)..];
        }

        var process = ChildProcess.Start(name, file, args, logPath, environment);
        return new BridgeProcess(process, healthPort);
    }

    /// <summary>
    /// Waits until the bridge has taken at least <paramref name="rosterEvents"/> ROSTER events off
    /// the socket and every sink is connected with nothing pending. Polls <c>/readyz</c>: the
    /// bridge has no other way to say it.
    /// </summary>
    public async Task<ReadyState> WaitIdleAsync(long rosterEvents, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        ReadyState? last = null;
        try
        {
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new LoadException($"{_process.Name} exited with code {_process.ExitCode}; its last lines:\n{_process.Tail(20)}");
                }

                last = await ReadyAsync(deadline.Token);
                if (last is { Ready: true } && last.RosterEvents >= rosterEvents)
                {
                    return last;
                }

                await Task.Delay(PollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LoadException(FormattableString.Invariant(
                $"{_process.Name} did not become idle with {rosterEvents} roster events read within {timeout.TotalSeconds:F0} s; last /readyz: {last?.Body ?? "none"}"));
        }
    }

    public async Task<ReadyState?> ReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri("readyz", UriKind.Relative), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var daemon = root.GetProperty("daemon");
            return new ReadyState(
                root.GetProperty("ready").GetBoolean(),
                daemon.GetProperty("roster_events").GetInt64(),
                daemon.GetProperty("connections").GetInt64(),
                body);
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // this request timed out; the caller's deadline decides
        }
    }

    /// <summary>VmHWM from /proc/&lt;pid&gt;/status: the peak resident set, in KiB.</summary>
    public long PeakRssKib() => ProcStat.StatusKib(Pid, "VmHWM:");

    /// <summary>Resident memory now, in KiB: anonymous (heaps, stacks) and file-backed (the mapped program and libraries).</summary>
    public (long Anon, long File) RssNowKib() => (ProcStat.StatusKib(Pid, "RssAnon:"), ProcStat.StatusKib(Pid, "RssFile:"));

    /// <summary>CPU time the bridge has used so far.</summary>
    public TimeSpan CpuTime() => ProcStat.CpuTime(Pid);

    /// <summary>Whether the bridge logged that it runs in per-event mode.</summary>
    public bool SaidPerEvent() => _process.Saw(line => line.Contains("per-event", StringComparison.Ordinal) && line.Contains("Outbox:Mode", StringComparison.Ordinal));

    /// <summary>Whether the bridge logged that it does not know Outbox:Mode (built before that mode landed).</summary>
    public bool SaidModeUnknown() => _process.Saw(line => line.Contains("Outbox:Mode", StringComparison.Ordinal) && line.Contains("not one RosterBridge knows", StringComparison.Ordinal));

    /// <summary>SIGTERM, as systemd does; returns the exit code (null: it had to be killed).</summary>
    public Task<int?> StopAsync() => _process.StopAsync(TimeSpan.FromSeconds(15));

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _process.DisposeAsync();
    }
}

internal sealed record ReadyState(bool Ready, long RosterEvents, long DaemonConnections, string Body);

internal enum BuildKind
{
    Jit,
    Aot,
}

/// <summary>Reads of /proc.</summary>
internal static class ProcStat
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static long StatusKib(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var digits = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(digits, CultureInfo.InvariantCulture);
            }
        }

        throw new LoadException($"/proc/{pid}/status has no {field}");
    }

    /// <summary>User + system CPU time of a process (fields 14 and 15 of /proc/&lt;pid&gt;/stat).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state): utime is field 14, stime field 15.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero; // gone
        }
    }
}
