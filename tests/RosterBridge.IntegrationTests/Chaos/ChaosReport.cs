using System.Globalization;
using System.Text;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>What the campaign survived and what it did not; renders the summary printed at the end.</summary>
internal sealed class ChaosReport(ChaosSettings settings)
{
    private readonly List<(ChaosStep Step, TimeSpan Recovery)> _survived = [];
    private readonly List<(ChaosStep? Step, string Failure)> _failures = [];

    public IReadOnlyList<(ChaosStep? Step, string Failure)> Failures => _failures;

    public void Survived(ChaosStep step, TimeSpan recovery) => _survived.Add((step, recovery));

    /// <summary>A failure; <paramref name="step"/> is null for one outside any step (the start).</summary>
    public void Failed(ChaosStep? step, string failure) => _failures.Add((step, failure));

    public string Summary(TimeSpan elapsed, ChaosRig rig)
    {
        ArgumentNullException.ThrowIfNull(rig);
        var seed = settings.Seed;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"chaos campaign: seed {seed}, {elapsed.TotalSeconds:F0} s, {_survived.Count + _failures.Where(f => f.Step is not null).Select(f => f.Step!.Index).Distinct().Count()} faults, {_failures.Count} failure(s) (node {rig.Node})\n");
        var byKind = _survived.GroupBy(s => s.Step.Kind).OrderBy(g => g.Key).ToList();
        text.Append("  faults survived by kind: ")
            .Append(byKind.Count == 0 ? "none" : string.Join(", ", byKind.Select(g => $"{ChaosStep.KindName(g.Key)} {g.Count()}")))
            .Append('\n');
        if (_survived.Count > 0)
        {
            var worst = _survived.MaxBy(s => s.Recovery);
            text.Append(CultureInfo.InvariantCulture,
                $"  recovery (end of fault to both brokers equal to the daemon): median {Median(_survived.Select(s => s.Recovery)):F2} s, worst {worst.Recovery.TotalSeconds:F2} s ({worst.Step.Index} {worst.Step.Name})\n");
            foreach (var kind in byKind)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"    {ChaosStep.KindName(kind.Key),-28} {kind.Count(),4} x  median {Median(kind.Select(s => s.Recovery)):F2} s  worst {kind.Max(s => s.Recovery).TotalSeconds:F2} s\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture,
            $"  events: {rig.Events} emitted by the daemon; the bridge was started {rig.BridgeStarts} times, the daemon {rig.DaemonStarts} times\n");
        foreach (var (step, failure) in _failures)
        {
            text.Append(CultureInfo.InvariantCulture, $"  FAILED (seed {seed}) at {step?.ToString() ?? "the start"}:\n    ")
                .Append(failure.Replace("\n", "\n    ", StringComparison.Ordinal).TrimEnd())
                .Append('\n');
        }

        var options = (settings.Race ? string.Empty : " --no-race")
            + (settings.Kinds.Count == 0 ? string.Empty : $" --only {string.Join(',', settings.Kinds.Select(ChaosStep.KindName))}");
        text.Append(CultureInfo.InvariantCulture, $"  reproduce: scripts/chaos.sh --seed {seed}{options} (the same schedule; or {ChaosSettings.SeedVariable}={seed} scripts/test.sh --filter FullyQualifiedName~Chaos)\n");
        return text.ToString();
    }

    private static double Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Select(v => v.TotalSeconds).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
