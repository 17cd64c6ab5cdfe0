using System.Globalization;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>
/// The campaign's settings, from environment variables (scripts/chaos.sh sets them; the defaults
/// are the short mode that runs with every test run):
/// <c>ROSTERBRIDGE_CHAOS_SECONDS</c> (default 60: start no new fault after this, but always finish
/// the first round, which meets every kind), <c>ROSTERBRIDGE_CHAOS_SEED</c> (default: a random
/// one, printed), <c>ROSTERBRIDGE_CHAOS_KEEP_GOING</c> (<c>1</c>: after a failure, start a new
/// bridge and go on, to find more than one; default: stop at the first), <c>ROSTERBRIDGE_CHAOS_RACE</c>
/// (<c>0</c>: no roster changes at the moment a fault ends, to look past a failure of that race;
/// default: race), <c>ROSTERBRIDGE_CHAOS_KINDS</c> (comma-separated kind names such as
/// <c>mqtt-kill,bridge-kill</c>: only these; default: all) and <c>ROSTERBRIDGE_CHAOS_DIR</c>
/// (where the summary and logs go; default artifacts/chaos in the repository).
/// </summary>
internal sealed record ChaosSettings(TimeSpan Duration, int Seed, bool KeepGoing, bool Race, IReadOnlyList<FaultKind> Kinds, string Directory)
{
    public const string SecondsVariable = "ROSTERBRIDGE_CHAOS_SECONDS";
    public const string SeedVariable = "ROSTERBRIDGE_CHAOS_SEED";
    public const string KeepGoingVariable = "ROSTERBRIDGE_CHAOS_KEEP_GOING";
    public const string RaceVariable = "ROSTERBRIDGE_CHAOS_RACE";
    public const string KindsVariable = "ROSTERBRIDGE_CHAOS_KINDS";
    public const string DirectoryVariable = "ROSTERBRIDGE_CHAOS_DIR";

    /// <summary>The summary's file name in <see cref="Directory"/>; scripts/test.sh prints it.</summary>
    public const string SummaryFile = "chaos-summary.txt";

    public string SummaryPath => Path.Combine(Directory, SummaryFile);

    /// <summary>One line per step and recovery, written as the campaign goes (scripts/chaos.sh follows it).</summary>
    public string ProgressPath => Path.Combine(Directory, "chaos-progress.log");

    public static ChaosSettings FromEnvironment()
    {
        var seconds = Number(SecondsVariable) ?? 60;
        if (seconds < 0)
        {
            throw new InvalidOperationException($"{SecondsVariable} must not be negative");
        }

        var directory = Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } given
            ? Path.GetFullPath(given)
            : Path.Combine(RepositoryRoot() ?? Path.GetTempPath(), "artifacts", "chaos");
        System.IO.Directory.CreateDirectory(directory);
        var keepGoing = Environment.GetEnvironmentVariable(KeepGoingVariable)?.Trim() is "1" or "true";
        var race = Environment.GetEnvironmentVariable(RaceVariable)?.Trim() is not ("0" or "false");
        var kinds = (Environment.GetEnvironmentVariable(KindsVariable) ?? string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ChaosStep.ParseKind)
            .ToList();
        return new ChaosSettings(TimeSpan.FromSeconds(seconds), Number(SeedVariable) ?? Random.Shared.Next(), keepGoing, race, kinds, directory);
    }

    private static int? Number(string variable)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"{variable}='{text}' is not a whole number");
    }

    private static string? RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "RosterBridge.sln")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
