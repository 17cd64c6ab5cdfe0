using System.Globalization;
using System.Text;

namespace RosterBridge.Load;

/// <summary>The markdown report: every ratio is computed from figures of the same run.</summary>
internal static class Report
{
    private const double Million = 1_000_000;

    public static string Markdown(RunResult run)
    {
        var md = new StringBuilder();
        var m = run.Machine;
        var o = run.Options;
        Line(md, $"## RosterBridge load run: profile `{run.Profile}`, {run.StartedUtc:yyyy-MM-dd HH:mm} UTC, {run.Duration.TotalMinutes:F1} min");
        Line(md);
        Line(md, $"- machine: {m.Cores} cores ({m.Cpu}), {m.Memory}, {m.Os}, kernel {m.Kernel}, {m.Dotnet}; mosquitto {m.Mosquitto}, nats-server {m.NatsServer} (JetStream, file store in a temporary folder)");
        Line(md, $"- daemon: the `rosterbridge-sim` engine in the load tool, Unix socket, seed {o.Seed}, {o.Vms} VMs at start, {Wire.EventBytes} bytes per event; every process on this machine, traffic on 127.0.0.1 only");
        Line(md, $"- bridge: its own process, `dotnet RosterBridge.dll run` (JIT) and the Native AOT binary, `--Outbox:Mode=coalesce` (the bridge) or `per-event` (the naive baseline)");
        if (o.BridgeEnv.Count > 0)
        {
            Line(md, $"- bridge environment set for this run: `{string.Join("`, `", o.BridgeEnv)}`");
        }

        Line(md);

        Line(md, "### Burst convergence: first byte written → live subscribers on both brokers hold the final roster");
        Line(md);
        Line(md, "| bridge | events | floor ms | converged ms | × floor | MQTT ms | NATS ms | daemon done ms | MQTT msgs | NATS msgs | msgs ÷ events (MQTT / NATS) | CPU s: bridge / mosquitto / nats / tool |");
        Line(md, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var config in run.Configs)
        {
            foreach (var burst in config.Bursts)
            {
                var floor = Floor(run, burst.Events);
                Line(md, $"| {config.Label} | {burst.Events:N0} | {Ms(floor)} | {Ms(burst.ConvergedMs)} | {Ratio(burst.ConvergedMs, floor)} | {Ms(burst.MqttConvergedMs)} | {Ms(burst.NatsConvergedMs)} | {Ms(burst.DaemonDoneMs)} | {burst.MqttMessages:N0} | {burst.NatsMessages:N0} | {burst.MqttMessages / (double)burst.Events:F4} / {burst.NatsMessages / (double)burst.Events:F4} | {burst.BridgeCpuSeconds:F2} / {burst.MosquittoCpuSeconds:F2} / {burst.NatsCpuSeconds:F2} / {burst.ToolCpuSeconds:F2} |");
            }
        }

        Line(md);
        Line(md, $"Floor: the same bytes (same seed) read off the socket by a trivial subscriber alone, no bridge; median of {o.FloorRepeats} ({string.Join("; ", run.Floors.Select(f => $"{f.Events:N0}: {string.Join(", ", f.RepeatsMs.Select(v => Ms(v)))} ms"))}). " +
            "Daemon done: when the daemon had taken the last event; it waits for its slowest reader (a bounded buffer per subscriber), so this is how fast the bridge read. " +
            "Messages: what the live subscribers received during the burst (MQTT: `vmsig/<node>/roster/+`, QoS 1; NATS: core subscription to `vmsig.<node>.roster.*`).");
        Line(md);

        var pairs = (from coalesce in run.Configs.Where(c => c.Mode == "coalesce")
                     from perEvent in run.Configs.Where(c => c.Mode == "per-event" && c.Build == coalesce.Build && c.ModeInEffect)
                     select (coalesce, perEvent)).ToList();
        if (pairs.Count > 0)
        {
            Line(md, "### Coalescing against the per-event baseline (same run)");
            Line(md);
            Line(md, "| build | events | coalesce ms | per-event ms | per-event ÷ coalesce | msgs coalesce (MQTT / NATS) | msgs per-event (MQTT / NATS) | peak RSS MB coalesce / per-event |");
            Line(md, "|---|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var (coalesce, perEvent) in pairs)
            {
                foreach (var burst in coalesce.Bursts)
                {
                    var baseline = perEvent.Bursts.FirstOrDefault(b => b.Events == burst.Events);
                    if (baseline is null)
                    {
                        continue;
                    }

                    Line(md, $"| {(coalesce.Build == BuildKind.Jit ? "JIT" : "AOT")} | {burst.Events:N0} | {Ms(burst.ConvergedMs)} | {Ms(baseline.ConvergedMs)} | {Ratio(baseline.ConvergedMs, burst.ConvergedMs)} | {burst.MqttMessages:N0} / {burst.NatsMessages:N0} | {baseline.MqttMessages:N0} / {baseline.NatsMessages:N0} | {Mb(coalesce.PeakRssKib)} / {Mb(perEvent.PeakRssKib)} |");
                }
            }

            Line(md);
        }

        Line(md, $"### Steady latency at a trickle of {o.Rate:F0} events/s ({o.TrickleSeconds:F0} s), beside each broker's own");
        Line(md);
        Line(md, "| bridge | broker | samples (of events) | p50 ms | p99 ms | max ms | broker's own p50 | own p99 | own max | p99 − own p99 |");
        Line(md, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var config in run.Configs)
        {
            foreach (var l in config.Latency)
            {
                Line(md, $"| {config.Label} | {l.Broker} | {l.Bridge.Count} ({l.Events}) | {l.Bridge.P50:F3} | {l.Bridge.P99:F3} | {l.Bridge.Max:F3} | {l.Own.P50:F3} | {l.Own.P99:F3} | {l.Own.Max:F3} | {l.Bridge.P99 - l.Own.P99:+0.000;-0.000} |");
            }
        }

        Line(md);
        Line(md, "Bridge: from the event handed to the daemon to the live subscriber's receipt of the payload with its `seq` (attach and update events; a detach has no seq). " +
            $"Broker's own, measured at the same time from a connection of the tool's: MQTT QoS 1 retained publish to `vmsigload/<node>/probe`; NATS **JetStream** publish to `vmsigload.<node>.probe`, stream `{Wire.NatsProbeStream}` (file storage, 1 per subject), as the bridge publishes; the same subscriber connections receive them.");
        Line(md);

        Line(md, "### Start and memory");
        Line(md);
        Line(md, "| bridge | start → first publish ms (first / MQTT / NATS) | start → roster on both brokers ms | peak RSS MB (VmHWM) | RSS at the end MB: anon / file | exit code on SIGTERM |");
        Line(md, "|---|--:|--:|--:|--:|--:|");
        foreach (var c in run.Configs)
        {
            Line(md, $"| {c.Label} | {Ms(c.StartToFirstMs)} / {Ms(c.StartToFirstMqttMs)} / {Ms(c.StartToFirstNatsMs)} | {Ms(c.StartConvergedMs)} | {Mb(c.PeakRssKib)} | {Mb(c.RssAnonKib)} / {Mb(c.RssFileKib)} | {c.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "killed"} |");
        }

        Line(md);
        Line(md, $"Start: process start → the first roster message at a live subscriber, the daemon holding {o.Vms} VMs already. Peak RSS: VmHWM of the bridge's process read just before SIGTERM, after every burst (largest {o.Sizes.Max():N0}) and the trickle.");
        Line(md);

        Line(md, "### Targets (the bridge: coalesce mode)");
        Line(md);
        Line(md, "| target | bridge | figure | met |");
        Line(md, "|---|---|--:|---|");
        var largest = o.Sizes.Max();
        var at = largest == (long)Million ? string.Empty : $" (at {largest:N0} events, not 10^6)";
        foreach (var c in run.Configs.Where(c => c.Mode == "coalesce"))
        {
            var burst = c.Bursts.FirstOrDefault(b => b.Events == largest);
            if (burst is not null)
            {
                var ratio = burst.ConvergedMs / Floor(run, largest);
                Line(md, $"| converged ≤ 1.5 × floor, 10^6 events{at} | {c.Label} | {ratio:F2} × ({Ms(burst.ConvergedMs)} / {Ms(Floor(run, largest))} ms) | {Met(ratio <= 1.5, $"{(ratio - 1.5) * Floor(run, largest):F0} ms over")} |");
            }

            foreach (var l in c.Latency)
            {
                var excess = l.Bridge.P99 - l.Own.P99;
                Line(md, $"| p99 ≤ broker's own p99 + 1 ms ({l.Broker}) | {c.Label} | {l.Bridge.P99:F3} vs {l.Own.P99:F3} ms ({excess:+0.000;-0.000}) | {Met(excess <= 1.0, $"{excess - 1:F3} ms over")} |");
            }

            var rssLimit = c.Build == BuildKind.Aot ? 30 : 60;
            if (c.PeakRssKib is { } rss)
            {
                Line(md, $"| peak RSS ≤ {rssLimit} MB after the bursts{at} | {c.Label} | {Mb(rss)} MB | {Met(rss / 1024.0 <= rssLimit, $"{rss / 1024.0 - rssLimit:F1} MB over")} |");
            }

            if (c.Build == BuildKind.Aot && c.StartToFirstMs is { } start)
            {
                Line(md, $"| start → first publish ≤ 300 ms | {c.Label} | {start:F0} ms | {Met(start <= 300, $"{start - 300:F0} ms over")} |");
            }
        }

        Line(md);
        Line(md, "MB here is MiB (VmHWM is in KiB).");
        var problems = run.Configs.Where(c => c.Problems.Count > 0).ToList();
        if (problems.Count > 0)
        {
            Line(md);
            Line(md, "### Problems");
            Line(md);
            foreach (var c in problems)
            {
                foreach (var problem in c.Problems)
                {
                    Line(md, $"- {c.Label}: {problem.Replace("\n", "\n  ", StringComparison.Ordinal)}");
                }
            }
        }

        return md.ToString();
    }

    private static double Floor(RunResult run, long events) =>
        run.Floors.FirstOrDefault(f => f.Events == events)?.Ms ?? double.NaN;

    private static string Met(bool met, string miss) => met ? "**yes**" : $"**no**: {miss}";

    private static string Ratio(double value, double baseline) =>
        double.IsFinite(value / baseline) ? (value / baseline).ToString("F2", CultureInfo.InvariantCulture) + " ×" : "–";

    private static string Ms(double? ms) => ms switch
    {
        null => "–",
        { } v when !double.IsFinite(v) => "–",
        { } v when v >= 1000 => v.ToString("N0", CultureInfo.InvariantCulture),
        { } v => v.ToString("F1", CultureInfo.InvariantCulture),
    };

    private static string Mb(long? kib) => kib is { } k ? (k / 1024.0).ToString("F1", CultureInfo.InvariantCulture) : "–";

    // The program runs with the invariant culture (Program.Main); so do these interpolations.
    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
