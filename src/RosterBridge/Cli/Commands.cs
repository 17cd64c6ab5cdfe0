using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Reflection;
using RosterBridge.Hosting;

namespace RosterBridge.Cli;

/// <summary>
/// The command line: <c>run</c>, <c>show</c>, <c>ready</c>, <c>check</c>, <c>watch</c>, <c>version</c>. Help for each
/// (with examples) exits 0; anything the parser does not know is refused with exit code 2. The daemon
/// emulator is a program of its own (tools/RosterBridge.Simulator, <c>rosterbridge-sim</c>): nothing here
/// listens on or deletes the daemon's socket.
/// </summary>
internal static class Commands
{
    /// <summary>How long <c>show</c>, <c>ready</c>, <c>check</c> and <c>watch</c> get to end after SIGTERM or SIGINT before the parser ends them.</summary>
    private static readonly TimeSpan EndAfterSignal = TimeSpan.FromSeconds(10);

    public static string Version =>
        typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Every command, and what help says about them.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("rosterbridge: republishes the vmsig daemon's VM roster to MQTT and NATS JetStream, one entry per endpoint.");
        root.Add(RunCommand.Create());
        root.Add(ShowCommand.Create());
        root.Add(ReadyCommand.Create());
        root.Add(CheckCommand.Create());
        root.Add(WatchCommand.Create());
        var version = new Command("version", "Print the version.");
        version.SetAction(result => PrintVersion(result.InvocationConfiguration.Output));
        HelpSections.Set(version, HelpSections.Examples("rosterbridge version", "rosterbridge --version"));
        root.Add(version);
        root.SetAction(result =>
        {
            result.InvocationConfiguration.Error.WriteLine("rosterbridge: say which command to run: run, show, ready, check, watch or version.");
            result.InvocationConfiguration.Error.WriteLine("See 'rosterbridge --help'.");
            return ExitCodes.BadConfig;
        });
        HelpSections.Set(
            root,
            HelpSections.ExitCodesText,
            HelpSections.Examples(
                "rosterbridge run --node pve1 --mqtt mqtt://localhost:1883 --nats nats://localhost:4222",
                "rosterbridge check",
                "rosterbridge show --node pve1",
                "rosterbridge watch --mqtt mqtt://localhost:1883",
                "rosterbridge run --help"));
        return WithOurHelpAndVersion(root);
    }

    /// <summary>Help that ends with the command's own sections (<see cref="HelpSections"/>), and <c>--version</c> as <c>version</c> says it.</summary>
    private static RootCommand WithOurHelpAndVersion(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.HelpName = "rosterbridge";
        foreach (var option in root.Options)
        {
            if (option is VersionOption)
            {
                option.Action = new VersionAction();
            }
            else if (option is HelpOption { Action: HelpAction help })
            {
                option.Action = HelpSections.After(help);
            }
        }

        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command they name; a command line the parser
    /// refuses is written to <paramref name="error"/> with a pointer to help, and exits 2.
    /// </summary>
    public static async Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(error);
        var result = root.Parse(ConfigOptions.SplitKeyValues(args), new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Action is ParseErrorAction)
        {
            var command = CommandPath(result.CommandResult.Command);
            foreach (var problem in result.Errors)
            {
                await error.WriteLineAsync($"{command}: {problem.Message}");
            }

            await error.WriteLineAsync($"See '{command} --help'.");
            return ExitCodes.BadConfig;
        }

        // run stops on the host's own SIGTERM / SIGINT handling; the others on the parser's.
        return await result.InvokeAsync(
            new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = result.CommandResult.Command.Name == "run" ? null : EndAfterSignal,
            },
            cancellationToken);
    }

    public static int PrintVersion(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"rosterbridge {Version}");
        return ExitCodes.Ok;
    }

    /// <summary>"rosterbridge run" for the run command.</summary>
    public static string CommandPath(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is not null; symbol = symbol.Parents.FirstOrDefault())
        {
            names.Add(symbol is RootCommand ? "rosterbridge" : symbol.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult) => PrintVersion(parseResult.InvocationConfiguration.Output);
    }
}
