using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace RosterBridge.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/RosterBridge.Benchmarks [-- BenchmarkDotNet options]</c>
/// runs every benchmark (or those a <c>--filter</c> picks); <c>-- --smoke</c> runs each one once,
/// in process, for CI: it checks that they run, not how fast.
/// </summary>
public static class Program
{
    private const string SmokeOption = "--smoke";

    public static int Main(string[] args)
    {
        var smoke = args.Contains(SmokeOption, StringComparer.Ordinal);
        var rest = args.Where(arg => arg != SmokeOption).ToArray();
        if (rest.Length == 0)
        {
            rest = ["--filter", "*"]; // no interactive menu: CI has no one to answer it
        }

        var config = smoke ? SmokeConfig() : FullConfig();
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config).ToArray();
        return Failed(summaries) ? 1 : 0;
    }

    private static ManualConfig FullConfig() =>
        DefaultConfig.Instance.AddColumn(StatisticColumn.OperationsPerSecond);

    /// <summary>One invocation of each benchmark, no warm-up, no separate process: seconds, not minutes.</summary>
    private static ManualConfig SmokeConfig() =>
        DefaultConfig.Instance
            .AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId("smoke"))
            .AddColumn(StatisticColumn.OperationsPerSecond)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);

    private static bool Failed(Summary[] summaries) =>
        summaries.Length == 0
        || summaries.Any(summary => summary.HasCriticalValidationErrors
            || summary.Reports.Length == 0
            || summary.Reports.Any(report => !report.Success));
}
