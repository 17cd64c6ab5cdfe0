using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;
using System.Text;
using RosterBridge.Config;

namespace RosterBridge.Cli;

/// <summary>What a command's help says after its options: the configuration keys, exit codes, examples.</summary>
internal static class HelpSections
{
    private static readonly ConditionalWeakTable<Command, string> Sections = [];

    public static string ExitCodesText => """
        Exit codes:
          0  stopped cleanly (SIGTERM, SIGINT)
          1  an unexpected failure (a supervisor may restart it)
          2  bad configuration or command line, or a broker set up in a way the bridge refuses to change
          3  the daemon refused this subscriber
        """;

    /// <summary>The keys every configuration layer takes, each also an option of the command.</summary>
    public static string KeysText
    {
        get
        {
            var text = new StringBuilder("""
                Configuration (README.md documents every key):
                  rosterbridge.json beside the program (or --config FILE), then ROSTERBRIDGE_<Section>__<Key>
                  variables, then the command line, where each key is an option: --Section:Key VALUE or
                  --Section:Key=VALUE, e.g. --Mqtt:Format=msgpack. The keys:
                """);
            var line = new StringBuilder("   ");
            foreach (var key in ConfigKeys.All)
            {
                if (line.Length + key.Length + 2 > 100)
                {
                    text.AppendLine().Append(line);
                    line.Clear().Append("   ");
                }

                line.Append(' ').Append(key).Append(',');
            }

            return text.AppendLine().Append(line.ToString().TrimEnd(',')).ToString();
        }
    }

    /// <summary>Sets the text the help of <paramref name="command"/> ends with.</summary>
    public static void Set(Command command, params string[] sections) =>
        Sections.AddOrUpdate(command, string.Join(Environment.NewLine + Environment.NewLine, sections));

    /// <summary>Help as the parser writes it, then the command's own sections.</summary>
    public static SynchronousCommandLineAction After(HelpAction help) => new HelpThenSections(help);

    public static string Examples(params string[] lines) =>
        "Examples:" + string.Concat(lines.Select(line => Environment.NewLine + "  " + line));

    private sealed class HelpThenSections(HelpAction help) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var exitCode = help.Invoke(parseResult);
            if (Sections.TryGetValue(parseResult.CommandResult.Command, out var text))
            {
                parseResult.InvocationConfiguration.Output.WriteLine(text);
                parseResult.InvocationConfiguration.Output.WriteLine();
            }

            return exitCode;
        }
    }
}
