using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using RosterBridge.Daemon;
using RosterBridge.Frames;

namespace RosterBridge.Simulate;

/// <summary><c>rosterbridge simulate</c>: runs a vmsig daemon emulator that generates roster events.</summary>
internal static class SimulateCommand
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public const string Usage = """
        usage: rosterbridge simulate [options]
          --listen URL        unix:///PATH or tcp://HOST:PORT (port 0: any free port)
                              (default unix:///run/vmsig/vmsig.sock)
          --seed N            seed of the event generator (default: random, printed)
          --vms N             VMs attached at start, 0..64 (default 12)
          --rate N            steady events per second, 0 for none (default 2)
          --burst N           once a subscriber has synced, emit N churn events as fast as possible
          --session-id HEX    WELCOME session id (default: random)
          --refuse-roster     answer every HELLO with ERROR 1 (capability refused)
          --quiet             no line per event
        """;

    private const int BurstFlushEvery = 4096;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (Ctrl+C, SIGTERM): exit code 0.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
        return await RunAsync(args, stdout, Console.Error, cancellationToken);
    }

    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Any(a => a is "--help" or "-h"))
        {
            await output.WriteLineAsync(Usage);
            return ExitOk;
        }

        if (!TryParse(args, out var opts, out var problem))
        {
            await error.WriteLineAsync($"rosterbridge simulate: {problem}");
            await error.WriteLineAsync(Usage);
            return ExitUsage;
        }

        var console = new SimulatorConsole(output);
        try
        {
            return await RunAsync(opts, console, error, cancellationToken);
        }
        finally
        {
            console.Flush();
        }
    }

    /// <summary>Parses the command line; on false, <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryParse(IReadOnlyList<string> args, out SimulatorOpts opts, out string problem)
    {
        ArgumentNullException.ThrowIfNull(args);
        opts = new SimulatorOpts();
        problem = string.Empty;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string? inline = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                inline = arg[(equals + 1)..];
                arg = arg[..equals];
            }

            if (arg is "--refuse-roster" or "--quiet" or "-q")
            {
                if (inline is not null)
                {
                    problem = $"{arg} takes no value";
                    return false;
                }

                opts = arg == "--refuse-roster" ? opts with { RefuseRoster = true } : opts with { Quiet = true };
                continue;
            }

            if (arg is not ("--listen" or "--seed" or "--vms" or "--rate" or "--burst" or "--session-id"))
            {
                problem = $"unknown option '{args[i]}'";
                return false;
            }

            var value = inline;
            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    problem = $"{arg} needs a value";
                    return false;
                }

                value = args[++i];
            }

            var ok = arg switch
            {
                "--listen" => TryParseListen(value, ref opts, out problem),
                "--seed" => TryParseInt(value, arg, int.MinValue, int.MaxValue, out var seed, out problem)
                    && Set(ref opts, opts with { Seed = (int)seed }),
                "--vms" => TryParseInt(value, arg, 0, VmsigWire.EndpointCount, out var vms, out problem)
                    && Set(ref opts, opts with { Vms = (int)vms }),
                "--burst" => TryParseInt(value, arg, 0, long.MaxValue, out var burst, out problem)
                    && Set(ref opts, opts with { Burst = burst }),
                "--rate" => TryParseRate(value, out var rate, out problem)
                    && Set(ref opts, opts with { Rate = rate }),
                _ => TryParseSessionId(value, out var id, out problem)
                    && Set(ref opts, opts with { SessionId = id }),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One line for an applied change, as the command prints it.</summary>
    public static string Describe(ulong seq, in SimChange change)
    {
        var head = string.Create(CultureInfo.InvariantCulture, $"#{seq,-7} ep{change.Endpoint:00} ");
        return change.Kind switch
        {
            SimChangeKind.Attach => string.Create(CultureInfo.InvariantCulture,
                $"{head}ATTACH vm{change.Vmid} {VmsigWire.VmStateName(change.State),-9} {DescribeName(change.Name!)}"),
            SimChangeKind.Update when change.Name is not null => string.Create(CultureInfo.InvariantCulture,
                $"{head}UPDATE vm{change.Vmid} {VmsigWire.VmStateName(change.State),-9} renamed {DescribeName(change.Name)}"),
            SimChangeKind.Update => string.Create(CultureInfo.InvariantCulture,
                $"{head}UPDATE vm{change.Vmid} {VmsigWire.VmStateName(change.State)}"),
            SimChangeKind.Detach => string.Create(CultureInfo.InvariantCulture, $"{head}DETACH vm{change.Vmid}"),
            _ => $"{head}MEMCTX (not roster: bridges skip it)",
        };
    }

    private static string DescribeName(string name)
    {
        var slot = new RosterSlot(0, name, 0);
        return slot.NameTruncated ? $"\"{name}\" -> \"{slot.WireName}\" NAME_TRUNC" : $"\"{name}\"";
    }

    private static async Task<int> RunAsync(SimulatorOpts opts, SimulatorConsole console, TextWriter error, CancellationToken cancellationToken)
    {
        var seed = opts.Seed ?? Environment.TickCount;
        var generator = new LifecycleGenerator(seed, opts.Vms);
        await using var daemon = new SimulatedDaemon(opts, console.LineNow);
        foreach (var change in generator.InitialRoster(opts.Vms))
        {
            daemon.TryApply(change); // nobody listens yet: this is the roster the first replay shows
        }

        try
        {
            await daemon.StartAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"rosterbridge simulate: cannot listen on {opts.Listen}: {ex.Message}");
            return ExitFailure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitOk;
        }

        console.Line(string.Create(CultureInfo.InvariantCulture,
            $"vmsig simulator listening on {daemon.Endpoint} (session {daemon.SessionId:x16}, seed {seed}{(opts.RefuseRoster ? ", refusing CAP_ROSTER" : string.Empty)})"));
        PrintRoster(daemon, console);
        console.Flush();
        try
        {
            if (opts.Burst > 0)
            {
                await daemon.WaitForSubscribersAsync(1, cancellationToken);
                RunBurst(daemon, generator, opts, console, cancellationToken);
            }

            await RunSteadyAsync(daemon, generator, opts, console, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: a normal end.
        }

        console.Line("vmsig simulator stopped; its roster at the end:");
        PrintRoster(daemon, console);
        console.Flush();
        return ExitOk;
    }

    private static void PrintRoster(SimulatedDaemon daemon, SimulatorConsole console)
    {
        var roster = daemon.Snapshot();
        for (var endpoint = 0; endpoint < roster.Length; endpoint++)
        {
            if (roster[endpoint] is { } slot)
            {
                console.Line(string.Create(CultureInfo.InvariantCulture,
                    $"  ep{endpoint:00} vm{slot.Vmid} {VmsigWire.VmStateName(slot.State),-9} {DescribeName(slot.Name)}"));
            }
        }
    }

    private static void RunBurst(SimulatedDaemon daemon, LifecycleGenerator generator, SimulatorOpts opts, SimulatorConsole console, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long emitted = 0;
        while (emitted < opts.Burst)
        {
            if (emitted % BurstFlushEvery == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                console.Flush();
            }

            Emit(daemon, generator, generator.NextChurn(), opts.Quiet, console);
            emitted++;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        console.LineNow(string.Create(CultureInfo.InvariantCulture,
            $"burst: {emitted} events in {seconds:F3} s ({emitted / Math.Max(seconds, 1e-9):F0} events/s)"));
    }

    private static async Task RunSteadyAsync(SimulatedDaemon daemon, LifecycleGenerator generator, SimulatorOpts opts, SimulatorConsole console, CancellationToken cancellationToken)
    {
        if (opts.Rate <= 0)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return;
        }

        // Events are due at rate × elapsed; the timer only wakes the loop, so high rates are kept too.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1.0 / opts.Rate, 0.01)));
        var started = Stopwatch.GetTimestamp();
        long emitted = 0;
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var due = (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * opts.Rate);
            emitted = Math.Max(emitted, due - (long)Math.Ceiling(opts.Rate)); // after a stall, catch up at most 1 s
            for (; emitted < due; emitted++)
            {
                Emit(daemon, generator, generator.Next(), opts.Quiet, console);
            }

            console.Flush();
        }
    }

    private static void Emit(SimulatedDaemon daemon, LifecycleGenerator generator, in SimChange change, bool quiet, SimulatorConsole console)
    {
        var seq = daemon.TryApply(change);
        if (seq == 0)
        {
            generator.Resync(daemon.Snapshot()); // the roster changed under the generator: start again from it
            return;
        }

        if (!quiet)
        {
            console.Line(Describe(seq, change));
        }
    }

    private static bool Set(ref SimulatorOpts opts, SimulatorOpts value)
    {
        opts = value;
        return true;
    }

    private static bool TryParseListen(string value, ref SimulatorOpts opts, out string problem)
    {
        if (DaemonEndpoint.TryParse(value, out var endpoint, out problem))
        {
            opts = opts with { Listen = endpoint };
            return true;
        }

        // DaemonEndpoint (a client's view) refuses port 0; a listener may ask for any free port.
        if (value.StartsWith("tcp://", StringComparison.Ordinal) && value.EndsWith(":0", StringComparison.Ordinal)
            && DaemonEndpoint.TryParse(value[..^1] + "1", out var any, out _))
        {
            opts = opts with { Listen = any with { Port = 0 } };
            problem = string.Empty;
            return true;
        }

        problem = $"--listen: {problem}";
        return false;
    }

    private static bool TryParseInt(string value, string option, long min, long max, out long result, out string problem)
    {
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out result) && result >= min && result <= max)
        {
            problem = string.Empty;
            return true;
        }

        problem = string.Create(CultureInfo.InvariantCulture, $"{option} '{value}' is not a whole number in {min}..{max}");
        return false;
    }

    private static bool TryParseRate(string value, out double rate, out string problem)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out rate) && double.IsFinite(rate) && rate >= 0)
        {
            problem = string.Empty;
            return true;
        }

        problem = $"--rate '{value}' is not a number of events per second (0 or more)";
        return false;
    }

    private static bool TryParseSessionId(string value, out ulong id, out string problem)
    {
        var hex = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? value[2..] : value;
        if (hex.Length is > 0 and <= 16 && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id))
        {
            problem = string.Empty;
            return true;
        }

        id = 0;
        problem = $"--session-id '{value}' is not a 64-bit hex number";
        return false;
    }
}
