using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using RosterBridge.Cli;
using RosterBridge.Frames;

namespace RosterBridge.Simulate;

/// <summary><c>rosterbridge-sim</c>: runs a vmsig daemon emulator that generates roster events.</summary>
internal static class SimulateCommand
{
    public const string Name = "rosterbridge-sim";
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitBadArguments = 2;

    private const int BurstFlushEvery = 4096;

    /// <summary>How long the simulator gets to end after SIGTERM or SIGINT before the parser ends it.</summary>
    private static readonly TimeSpan EndAfterSignal = TimeSpan.FromSeconds(10);

    /// <summary>Command lines for the help.</summary>
    public static readonly string[] Examples =
    [
        "rosterbridge-sim --listen unix:///tmp/vmsig.sock --vms 20 --rate 5",
        "rosterbridge-sim --listen tcp://127.0.0.1:0 --seed 7 --burst 1000000 --quiet",
        "rosterbridge-sim --listen tcp://127.0.0.1:7000 --refuse-roster",
    ];

    /// <summary>The command line of <c>rosterbridge-sim</c>: runs until SIGTERM or SIGINT, then exit code 0.</summary>
    public static RootCommand Create()
    {
        var options = new SimulateOptions();
        var command = new RootCommand("rosterbridge-sim: serve a simulated vmsig daemon that generates roster events, for demos, tests and benchmarks. Not part of the bridge's binary or image.");
        command.HelpName = Name;
        options.AddTo(command);
        command.SetAction((result, stop) => ServeAsync(options.Read(result), result.InvocationConfiguration.Output, result.InvocationConfiguration.Error, stop));
        HelpSections.Set(command, HelpSections.Examples(Examples));
        foreach (var option in command.Options)
        {
            if (option is HelpOption { Action: HelpAction help })
            {
                option.Action = HelpSections.After(help);
            }
        }

        return command;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and serves; a command line the parser refuses is written to
    /// <paramref name="error"/> with a pointer to help, and exits 2.
    /// </summary>
    public static async Task<int> InvokeAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        var result = Create().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Action is ParseErrorAction)
        {
            foreach (var problem in result.Errors)
            {
                await error.WriteLineAsync($"{Name}: {problem.Message}");
            }

            await error.WriteLineAsync($"See '{Name} --help'.");
            return ExitBadArguments;
        }

        return await result.InvokeAsync(
            new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = EndAfterSignal,
            },
            cancellationToken);
    }

    /// <summary>Parses the command line; on false, <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryParse(IReadOnlyList<string> args, out SimulatorOpts opts, out string problem)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new SimulateOptions();
        var command = new RootCommand();
        options.AddTo(command);
        var result = command.Parse(args);
        if (result.Errors.Count > 0)
        {
            (opts, problem) = (new SimulatorOpts(), result.Errors[0].Message);
            return false;
        }

        (opts, problem) = (options.Read(result), string.Empty);
        return true;
    }

    private static async Task<int> ServeAsync(SimulatorOpts opts, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
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
            await error.WriteLineAsync($"{Name}: cannot listen on {opts.Listen}: {ex.Message}");
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
}
