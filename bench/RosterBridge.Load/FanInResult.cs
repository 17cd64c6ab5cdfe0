using System.Globalization;
using System.Text;

namespace RosterBridge.Load;

/// <summary>One phase of the fan-in run: <see cref="Bridges"/> bridges bursting at once against the cluster.</summary>
/// <param name="ConvergedMs">First event handed to any daemon → every node's roster exact on the cluster.</param>
/// <param name="NodeMs">Each node's first event → its roster exact, by node.</param>
/// <param name="ReadMs">How long one late read of the whole cluster took (the precision of the figures), median.</param>
internal sealed record FanInPhase(
    string Label,
    int Bridges,
    long EventsPerBridge,
    double ConvergedMs,
    IReadOnlyList<double> NodeMs,
    double DaemonDoneMs,
    IReadOnlyList<long> PeakRssKib,
    IReadOnlyList<double> CpuSeconds,
    double ClusterCpuSeconds,
    double ReadMs,
    double StartConvergedMs);

internal sealed record FanInResult(string Build, int Servers, int Replicas, string NatsServer, Machine Machine, IReadOnlyList<FanInPhase> Phases, DateTime StartedUtc)
{
    public string Markdown()
    {
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"## Fan-in: bridges bursting at once into a {Servers}-server NATS cluster (R{Replicas})");
        text.AppendLine();
        text.AppendLine(inv, $"{StartedUtc:yyyy-MM-dd HH:mm} UTC; {Machine.Cores} cores ({Machine.Cpu}), {Machine.Memory}, {Machine.Os}, {Machine.Dotnet}; nats-server {NatsServer}; bridge: {Build}. Everything on one machine.");
        text.AppendLine();
        text.AppendLine("| phase | bridges | events per bridge | all exact (ms) | per node: median / max (ms) | daemons done (ms) | all started → exact (ms) | peak RSS per bridge: median / max (MiB) | CPU per bridge: median / max (s) | cluster CPU (s) | one read (ms) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var phase in Phases)
        {
            text.AppendLine(inv,
                $"| {phase.Label} | {phase.Bridges} | {phase.EventsPerBridge} | {phase.ConvergedMs:F0} | {Stats.Median(phase.NodeMs):F0} / {phase.NodeMs.Max():F0} | {phase.DaemonDoneMs:F0} | {phase.StartConvergedMs:F0} | " +
                $"{Stats.Median(phase.PeakRssKib.Select(kib => kib / 1024.0).ToList()):F1} / {phase.PeakRssKib.Max() / 1024.0:F1} | {Stats.Median(phase.CpuSeconds):F2} / {phase.CpuSeconds.Max():F2} | {phase.ClusterCpuSeconds:F1} | {phase.ReadMs:F0} |");
        }

        text.AppendLine();
        return text.ToString();
    }
}
