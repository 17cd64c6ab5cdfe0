using System.CommandLine;
using System.CommandLine.Parsing;
using RosterBridge.Config;

namespace RosterBridge.Cli;

/// <summary>
/// The options of <c>run</c>, <c>show</c> and <c>ready</c> that set configuration keys: one per key
/// the bridge knows (<c>--Section:Key VALUE</c>, or <c>=VALUE</c>), and short forms for the common ones.
/// A key the bridge does not know is no option, so the parser refuses it.
/// </summary>
internal sealed class ConfigOptions
{
    private static readonly Dictionary<string, (string Name, string HelpName, string Description)> ShortForms = new(StringComparer.Ordinal)
    {
        ["Config"] = ("--config", "FILE", "the JSON configuration file (default: rosterbridge.json beside the program)"),
        ["Node"] = ("--node", "NAME", "this bridge's name in topics and subjects (default: the host name's first label)"),
        ["Daemon:Endpoint"] = ("--daemon", "ENDPOINT", "the daemon: unix:///PATH or tcp://HOST:PORT"),
        ["Mqtt:Url"] = ("--mqtt", "URL", "mqtt://HOST:PORT, mqtts://HOST:PORT (TLS), or off"),
        ["Nats:Url"] = ("--nats", "URL", "nats://HOST:PORT, tls://HOST:PORT (TLS), a comma-separated list of a cluster's servers, or off"),
    };

    private readonly List<(string Key, Option<string> Option)> _options = [];

    public ConfigOptions(Command command)
    {
        foreach (var key in ConfigKeys.All)
        {
            var option = ShortForms.TryGetValue(key, out var form)
                ? new Option<string>(form.Name, $"--{key}") { HelpName = form.HelpName, Description = form.Description }
                : new Option<string>($"--{key}") { Hidden = true }; // listed by the help's own section, not one row each
            command.Add(option);
            _options.Add((key, option));
        }
    }

    /// <summary>What the command line sets, key by key: the configuration's last layer.</summary>
    public IReadOnlyDictionary<string, string?> Values(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, option) in _options)
        {
            if (result.GetResult(option) is { Implicit: false })
            {
                values[key] = result.GetValue(option);
            }
        }

        return values;
    }

    /// <summary>
    /// <c>--Section:Key=VALUE</c> as two tokens. The parser splits a token at its first ':' or '=',
    /// so a name that holds a ':' never takes its value after '=' by itself.
    /// </summary>
    public static IReadOnlyList<string> SplitKeyValues(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var split = new List<string>(args.Count);
        foreach (var arg in args)
        {
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 2 && arg.AsSpan(0, equals).Contains(':')
                && ConfigKeys.All.Contains(arg[2..equals], StringComparer.Ordinal))
            {
                split.Add(arg[..equals]);
                split.Add(arg[(equals + 1)..]);
            }
            else
            {
                split.Add(arg);
            }
        }

        return split;
    }
}
