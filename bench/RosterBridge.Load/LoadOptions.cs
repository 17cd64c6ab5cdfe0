using System.Globalization;

namespace RosterBridge.Load;

/// <summary>What to run, parsed from the command line.</summary>
internal sealed record LoadOptions
{
    public const string Usage = """
        usage: RosterBridge.Load --jit PATH/RosterBridge.dll [--aot PATH/RosterBridge] [options]
          --jit PATH            the bridge's JIT build (run as: dotnet PATH run ...)
          --aot PATH            the bridge's Native AOT executable (scripts/publish-aot.sh)
          --quick               a short run: bursts of 10^4 and 10^5, 5 s of trickle
          --smoke               for CI: a burst of 2000, 1 s of trickle; checks that everything works,
                                asserts nothing about timing (exit 1 only when something broke)
          --sizes N,N           burst sizes (default 100000,1000000)
          --trickle-seconds S   length of the trickle (default 30)
          --rate R              trickle events per second, and broker probes per second (default 100)
          --modes M,M           Outbox:Mode values to run (default coalesce,per-event)
          --floor-repeats N     floor measurements per size, the median is reported (default 3)
          --seed N              generator seed (default 20261125)
          --vms N               VMs in the daemon's roster when the bridge starts (default 16)
          --timeout-seconds S   bound of every wait for a burst (default 60 + 1 s per 1000 events)
          --bridge-env K=V      an environment variable for the bridge processes only (repeatable),
                                e.g. DOTNET_GCgen0size=0x400000, to measure a runtime setting
          --fan-in [N]          instead of the above: N bridges (default 30) against a three-server NATS
                                cluster (nats-server processes, stream R3), each with its own daemon,
                                all bursting at once, beside one bridge alone; the AOT binary if given
          --fan-in-events E     events each daemon bursts in the fan-in (default 10000; --smoke: 500)
          --out DIR             also write DIR/load-<time>.md, DIR/load-<time>.json and the processes' logs
        Prints the markdown table on stdout, progress on stderr. Ctrl+C stops every process it started.
        """;

    public string? JitPath { get; init; }

    public string? AotPath { get; init; }

    public string Profile { get; init; } = "full";

    public IReadOnlyList<long> Sizes { get; init; } = [100_000, 1_000_000];

    public double TrickleSeconds { get; init; } = 30;

    public double Rate { get; init; } = 100;

    public IReadOnlyList<string> Modes { get; init; } = ["coalesce", "per-event"];

    public int FloorRepeats { get; init; } = 3;

    public int Seed { get; init; } = 20261125;

    public int Vms { get; init; } = 16;

    public double? TimeoutSeconds { get; init; }

    public string? OutDir { get; init; }

    public IReadOnlyList<string> BridgeEnv { get; init; } = [];

    /// <summary>Bridges of the fan-in measurement; null: the usual run.</summary>
    public int? FanIn { get; init; }

    public long FanInEvents { get; init; } = 10_000;

    public bool Smoke => Profile == "smoke";

    public TimeSpan BurstTimeout(long events) => TimeSpan.FromSeconds(TimeoutSeconds ?? 60 + (events / 1000.0));

    /// <summary>Bound of waits that do not grow with a burst: a start, a trickle's drain.</summary>
    public TimeSpan StepTimeout => TimeSpan.FromSeconds(TimeoutSeconds ?? 60);

    public static bool TryParse(string[] args, out LoadOptions options, out string problem)
    {
        options = new LoadOptions();
        problem = string.Empty;
        if (args.Contains("--smoke"))
        {
            options = options with { Profile = "smoke", Sizes = [2000], TrickleSeconds = 1, FloorRepeats = 1, TimeoutSeconds = 60, FanInEvents = 500 };
        }
        else if (args.Contains("--quick"))
        {
            options = options with { Profile = "quick", Sizes = [10_000, 100_000], TrickleSeconds = 5, FloorRepeats = 1 };
        }

        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--smoke" or "--quick")
            {
                continue;
            }

            if (arg == "--fan-in" && (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                options = options with { FanIn = 30 };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                problem = $"{arg}: unknown option, or missing its value";
                return false;
            }

            var value = args[++i];
            var ok = true;
            switch (arg)
            {
                case "--jit":
                    options = options with { JitPath = Path.GetFullPath(value) };
                    break;
                case "--aot":
                    options = options with { AotPath = Path.GetFullPath(value) };
                    break;
                case "--sizes":
                    var sizes = value.Split(',').Select(text => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
                    ok = sizes.All(n => n > 0);
                    options = options with { Sizes = sizes };
                    break;
                case "--trickle-seconds":
                    ok = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0;
                    options = options with { TrickleSeconds = seconds };
                    break;
                case "--rate":
                    ok = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate is > 0 and <= 10_000;
                    options = options with { Rate = rate };
                    break;
                case "--modes":
                    var modes = value.Split(',');
                    ok = modes.All(mode => mode is "coalesce" or "per-event");
                    options = options with { Modes = modes };
                    break;
                case "--floor-repeats":
                    ok = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var repeats) && repeats > 0;
                    options = options with { FloorRepeats = repeats };
                    break;
                case "--seed":
                    ok = int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed);
                    options = options with { Seed = seed };
                    break;
                case "--vms":
                    ok = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var vms) && vms is > 0 and <= Wire.Endpoints;
                    options = options with { Vms = vms };
                    break;
                case "--timeout-seconds":
                    ok = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var timeout) && timeout > 0;
                    options = options with { TimeoutSeconds = timeout };
                    break;
                case "--bridge-env":
                    ok = value.IndexOf('=', StringComparison.Ordinal) > 0;
                    options = options with { BridgeEnv = [.. options.BridgeEnv, value] };
                    break;
                case "--fan-in":
                    ok = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var fanIn) && fanIn is > 0 and <= 200;
                    options = options with { FanIn = fanIn };
                    break;
                case "--fan-in-events":
                    ok = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var fanInEvents) && fanInEvents > 0;
                    options = options with { FanInEvents = fanInEvents };
                    break;
                case "--out":
                    options = options with { OutDir = Path.GetFullPath(value) };
                    break;
                default:
                    problem = $"unknown option '{arg}'";
                    return false;
            }

            if (!ok)
            {
                problem = $"{arg} '{value}' is not valid";
                return false;
            }
        }

        if (options.JitPath is null && options.AotPath is null)
        {
            problem = "give --jit, --aot or both";
            return false;
        }

        foreach (var path in new[] { options.JitPath, options.AotPath })
        {
            if (path is not null && !File.Exists(path))
            {
                problem = $"{path} does not exist";
                return false;
            }
        }

        return true;
    }
}
