using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace RosterBridge.Load;

/// <summary>The whole run: brokers up, the floor, then each build in each mode; everything stopped at the end.</summary>
internal static class LoadRun
{
    public static async Task<RunResult> RunAsync(LoadOptions options, string workDir, string logDir, CancellationToken cancellationToken)
    {
        var startedUtc = DateTime.UtcNow;
        var started = Stopwatch.GetTimestamp();
        Log.Line($"profile {options.Profile}: bursts {string.Join(", ", options.Sizes)}; trickle {options.TrickleSeconds} s at {options.Rate}/s; modes {string.Join(", ", options.Modes)}; work in {workDir}");
        await using var brokers = await Brokers.StartAsync(workDir, logDir, cancellationToken);
        Log.Line($"mosquitto {brokers.MosquittoVersion} on 127.0.0.1:{brokers.MqttPort}, nats-server {brokers.NatsVersion} (JetStream) on 127.0.0.1:{brokers.NatsPort}");

        var floors = await FloorsAsync(options, workDir, cancellationToken);
        var scenario = new Scenario(options, brokers, workDir, logDir);
        var configs = new List<ConfigResult>();
        var builds = new List<(BuildKind Build, string Path)>();
        if (options.JitPath is not null)
        {
            builds.Add((BuildKind.Jit, options.JitPath));
        }

        if (options.AotPath is not null)
        {
            builds.Add((BuildKind.Aot, options.AotPath));
        }

        foreach (var (build, path) in builds)
        {
            foreach (var mode in options.Modes)
            {
                var brokerDied = brokers.AnyExited;
                var run = scenario.RunAsync(build, path, mode, cancellationToken);
                if (await Task.WhenAny(run, brokerDied) != run)
                {
                    throw new LoadException("a broker exited during the run (see its log)");
                }

                configs.Add(await run);
            }
        }

        var machine = Describe(brokers);
        return new RunResult(options.Profile, machine, options, floors, configs, startedUtc, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// The floor of each burst size: the same seed, so the same bytes as the bridge gets, read by a
    /// trivial subscriber alone; each repeat with a fresh daemon, the median reported.
    /// </summary>
    private static async Task<List<FloorResult>> FloorsAsync(LoadOptions options, string workDir, CancellationToken cancellationToken)
    {
        var repeats = options.Sizes.ToDictionary(size => size, _ => new List<double>());
        for (var repeat = 0; repeat < options.FloorRepeats; repeat++)
        {
            var socket = Path.Combine(workDir, "floor.sock");
            await using var daemon = await DaemonHost.StartAsync(socket, options.Seed, options.Vms, options.BurstTimeout(options.Sizes.Max()), cancellationToken);
            await using var floor = await FloorSubscriber.ConnectAsync(socket, cancellationToken);
            var total = daemon.HandshakeBytes;
            await floor.WhenReceivedAsync(total).WaitAsync(options.StepTimeout, cancellationToken);
            foreach (var events in options.Sizes)
            {
                total += events * Wire.EventBytes;
                var reached = floor.WhenReceivedAsync(total);
                var (first, _) = await daemon.BurstAsync(events, cancellationToken).WaitAsync(options.BurstTimeout(events), cancellationToken);
                var at = await reached.WaitAsync(options.BurstTimeout(events), cancellationToken);
                repeats[events].Add(Log.Ms(first, at));
            }
        }

        var floors = options.Sizes.Select(size => new FloorResult(size, Stats.Median(repeats[size]), repeats[size])).ToList();
        foreach (var floor in floors)
        {
            Log.Line(FormattableString.Invariant($"floor: {floor.Events} events ({floor.Events * Wire.EventBytes / 1e6:F1} MB) read in {floor.Ms:F1} ms (repeats: {string.Join(", ", floor.RepeatsMs.Select(ms => ms.ToString("F1", CultureInfo.InvariantCulture)))})"));
        }

        return floors;
    }

    private static Machine Describe(Brokers brokers)
    {
        static string Field(string file, string prefix, char separator)
        {
            try
            {
                var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
                return line is null ? "?" : line[(line.IndexOf(separator, StringComparison.Ordinal) + 1)..].Trim().Trim('"');
            }
            catch (IOException)
            {
                return "?";
            }
        }

        var memKib = Field("/proc/meminfo", "MemTotal", ':').Split(' ')[0];
        var memory = long.TryParse(memKib, NumberStyles.None, CultureInfo.InvariantCulture, out var kib)
            ? FormattableString.Invariant($"{kib / 1024.0 / 1024.0:F1} GiB")
            : "?";
        string kernel;
        try
        {
            kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            kernel = "?";
        }

        return new Machine(
            Environment.ProcessorCount,
            Field("/proc/cpuinfo", "model name", ':'),
            memory,
            Field("/etc/os-release", "PRETTY_NAME", '='),
            kernel,
            RuntimeInformation.FrameworkDescription,
            brokers.MosquittoVersion,
            brokers.NatsVersion);
    }
}
