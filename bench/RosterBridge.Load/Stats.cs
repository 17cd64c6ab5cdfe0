namespace RosterBridge.Load;

/// <summary>Percentiles of latency samples, in milliseconds (nearest rank).</summary>
internal sealed record Stats(int Count, double P50, double P99, double Max)
{
    public static Stats Of(double[] samples)
    {
        if (samples.Length == 0)
        {
            return new Stats(0, double.NaN, double.NaN, double.NaN);
        }

        var sorted = samples.Order().ToArray();
        return new Stats(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.99), sorted[^1]);
    }

    public static double Median(IReadOnlyList<double> values) =>
        values.Count == 0 ? double.NaN : Rank(values.Order().ToArray(), 0.5);

    private static double Rank(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
