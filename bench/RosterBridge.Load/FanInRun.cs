using System.Diagnostics;
using System.Globalization;

namespace RosterBridge.Load;

/// <summary>
/// The fan-in measurement: a three-server NATS cluster, then one bridge alone, then N bridges (one
/// per simulated host, each with its own daemon) whose daemons all burst at once; how long until
/// every node's roster is exact on the cluster, as a late consumer reads it, and what each bridge
/// costs (peak RSS, CPU). The bridge is the AOT binary when given, else the JIT build.
/// </summary>
internal static class FanInRun
{
    public const int Servers = 3;
    public const int Replicas = 3;

    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(20);

    public static async Task<FanInResult> RunAsync(LoadOptions options, string workDir, string logDir, CancellationToken cancellationToken)
    {
        var startedUtc = DateTime.UtcNow;
        var (build, path) = options.AotPath is not null ? (BuildKind.Aot, options.AotPath) : (BuildKind.Jit, options.JitPath!);
        Log.Line($"fan-in: {options.FanIn} bridges ({build}) and one alone, {options.FanInEvents} events each, against {Servers} nats-server processes, stream R{Replicas}");
        await using var cluster = await NatsClusterProcesses.StartAsync(workDir, logDir, Servers, cancellationToken);
        Log.Line($"cluster up: nats-server {cluster.Version} at {cluster.Urls}");
        await using var reader = new ClusterRosterReader(cluster.Urls.Split(',')[0]);
        var phases = new List<FanInPhase>();
        foreach (var (label, bridges) in new[] { ("one alone", 1), ($"{options.FanIn} at once", options.FanIn!.Value) })
        {
            var phase = PhaseAsync(options, label, bridges, build, path, cluster, reader, workDir, logDir, phases.Count, cancellationToken);
            if (await Task.WhenAny(phase, cluster.AnyExited) != phase)
            {
                throw new LoadException("a nats-server of the cluster exited during the run (see its log)");
            }

            phases.Add(await phase);
        }

        var machine = new Machine(Environment.ProcessorCount, CpuModel(), "?", "?", "?", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, "-", cluster.Version);
        return new FanInResult(build == BuildKind.Aot ? "Native AOT" : "JIT", Servers, Replicas, cluster.Version, machine, phases, startedUtc);
    }

    private static async Task<FanInPhase> PhaseAsync(
        LoadOptions options, string label, int count, BuildKind build, string path, NatsClusterProcesses cluster, ClusterRosterReader reader,
        string workDir, string logDir, int phaseIndex, CancellationToken cancellationToken)
    {
        var hosts = new List<(string Node, DaemonHost Daemon, BridgeProcess Bridge)>();
        var timeout = options.BurstTimeout(options.FanInEvents * count);
        try
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                var node = string.Create(CultureInfo.InvariantCulture, $"p{phaseIndex}h{i + 1:00}");
                var socket = Path.Combine(workDir, node + ".sock");
                var daemon = await DaemonHost.StartAsync(socket, options.Seed + i, options.Vms, timeout, cancellationToken);
                BridgeProcess bridge;
                try
                {
                    bridge = BridgeProcess.StartOnCluster(build, path, node, socket, cluster.Urls, Replicas, Path.Combine(logDir, $"bridge-{node}.log"), options.BridgeEnv);
                }
                catch
                {
                    await daemon.DisposeAsync();
                    throw;
                }

                hosts.Add((node, daemon, bridge));
            }

            foreach (var host in hosts)
            {
                await host.Bridge.WaitIdleAsync(0, options.StepTimeout, cancellationToken);
            }

            await ExactAsync(reader, hosts.Select(host => (host.Node, host.Daemon, (Task)Task.CompletedTask)).ToList(), options.StepTimeout, cancellationToken);
            var startConverged = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Log.Line(FormattableString.Invariant($"{label}: {count} bridge(s) up, every roster exact on the cluster {startConverged:F0} ms after the first start"));

            var cpuBefore = hosts.Select(host => host.Bridge.CpuTime()).ToList();
            var clusterBefore = cluster.Pids.Sum(pid => ProcStat.CpuTime(pid).TotalSeconds);
            var first = Stopwatch.GetTimestamp();
            var bursts = hosts.Select(host => (Task)host.Daemon.BurstAsync(options.FanInEvents, cancellationToken)).ToList();
            var (doneAt, readMs) = await ExactAsync(reader, hosts.Select((host, i) => (host.Node, host.Daemon, bursts[i])).ToList(), timeout, cancellationToken);
            await Task.WhenAll(bursts);
            var daemonDone = Log.Ms(first, bursts.Cast<Task<(long First, long Last)>>().Max(burst => burst.Result.Last));
            var nodeMs = hosts.Select(host => Log.Ms(first, doneAt[host.Node])).ToList();
            var phase = new FanInPhase(
                label,
                count,
                options.FanInEvents,
                nodeMs.Max(),
                nodeMs,
                daemonDone,
                hosts.Select(host => host.Bridge.PeakRssKib()).ToList(),
                hosts.Select((host, i) => (host.Bridge.CpuTime() - cpuBefore[i]).TotalSeconds).ToList(),
                cluster.Pids.Sum(pid => ProcStat.CpuTime(pid).TotalSeconds) - clusterBefore,
                readMs,
                startConverged);
            Log.Line(FormattableString.Invariant($"{label}: every roster exact {phase.ConvergedMs:F0} ms after the first event (daemons done at {daemonDone:F0} ms; one read {readMs:F0} ms)"));
            return phase;
        }
        finally
        {
            await Task.WhenAll(hosts.Select(host => host.Bridge.StopAsync()));
            foreach (var host in hosts)
            {
                await host.Bridge.DisposeAsync();
                await host.Daemon.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Reads the cluster until every node's roster is exact, each checked once its burst is done;
    /// returns when each was first seen exact (timestamps) and the median time one read took.
    /// </summary>
    private static async Task<(Dictionary<string, long> DoneAt, double ReadMs)> ExactAsync(
        ClusterRosterReader reader, List<(string Node, DaemonHost Daemon, Task Burst)> hosts, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var doneAt = new Dictionary<string, long>(StringComparer.Ordinal);
        var reads = new List<double>();
        var left = "?";
        try
        {
            while (doneAt.Count < hosts.Count)
            {
                var before = Stopwatch.GetTimestamp();
                Dictionary<string, RosterEntry[]> seen;
                try
                {
                    seen = await reader.ReadAsync(deadline.Token);
                }
                catch (NATS.Client.JetStream.NatsJSException) when (!deadline.IsCancellationRequested)
                {
                    await Task.Delay(PollDelay, deadline.Token);
                    continue; // e.g. the stream not created yet
                }

                var at = Stopwatch.GetTimestamp();
                reads.Add(Log.Ms(before, at));
                foreach (var (node, daemon, burst) in hosts)
                {
                    // Only a finished burst's roster is final; the read started after it finished.
                    if (!doneAt.ContainsKey(node) && burst.IsCompleted && ClusterRosterReader.Exact(seen, node, daemon.Expected()))
                    {
                        doneAt[node] = at;
                    }
                }

                left = string.Join(", ", hosts.Select(host => host.Node).Where(node => !doneAt.ContainsKey(node)).Take(5));
                if (doneAt.Count < hosts.Count)
                {
                    await Task.Delay(PollDelay, deadline.Token);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LoadException(FormattableString.Invariant($"not every roster was exact on the cluster within {timeout.TotalSeconds:F0} s; not yet: {left}"));
        }

        return (doneAt, reads.Count == 0 ? 0 : Stats.Median(reads));
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "?" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
