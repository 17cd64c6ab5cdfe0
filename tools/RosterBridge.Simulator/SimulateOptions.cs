using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Frames;

namespace RosterBridge.Simulate;

/// <summary>The options of <c>rosterbridge-sim</c>, each checked as it is parsed, and the <see cref="SimulatorOpts"/> they make.</summary>
internal sealed class SimulateOptions
{
    private readonly Option<DaemonEndpoint> _listen = new("--listen")
    {
        HelpName = "URL",
        Description = "unix:///PATH or tcp://HOST:PORT (port 0: any free port)",
        DefaultValueFactory = _ => SimulatorOpts.DefaultListen,
        CustomParser = ParseListen,
    };

    private readonly Option<int?> _seed = new("--seed")
    {
        HelpName = "N",
        Description = "seed of the event generator (default: random, printed)",
        CustomParser = result => (int)Whole(result, int.MinValue, int.MaxValue),
    };

    private readonly Option<int> _vms = new("--vms")
    {
        HelpName = "N",
        Description = "VMs attached at start, 0..64",
        DefaultValueFactory = _ => new SimulatorOpts().Vms,
        CustomParser = result => (int)Whole(result, 0, VmsigWire.EndpointCount),
    };

    private readonly Option<double> _rate = new("--rate")
    {
        HelpName = "N",
        Description = "steady events per second, 0 for none",
        DefaultValueFactory = _ => new SimulatorOpts().Rate,
        CustomParser = ParseRate,
    };

    private readonly Option<long> _burst = new("--burst")
    {
        HelpName = "N",
        Description = "once a subscriber has synced, emit N churn events as fast as possible",
        CustomParser = result => Whole(result, 0, long.MaxValue),
    };

    private readonly Option<ulong?> _sessionId = new("--session-id")
    {
        HelpName = "HEX",
        Description = "WELCOME session id (default: random)",
        CustomParser = ParseSessionId,
    };

    private readonly Option<bool> _refuseRoster = new("--refuse-roster") { Description = "answer every HELLO with ERROR 1 (capability refused)", Arity = ArgumentArity.Zero };

    private readonly Option<bool> _quiet = new("--quiet", "-q") { Description = "no line per event", Arity = ArgumentArity.Zero };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { _listen, _seed, _vms, _rate, _burst, _sessionId, _refuseRoster, _quiet })
        {
            command.Add(option);
        }
    }

    public SimulatorOpts Read(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new SimulatorOpts
        {
            Listen = result.GetRequiredValue(_listen),
            Seed = result.GetValue(_seed),
            Vms = result.GetValue(_vms),
            Rate = result.GetValue(_rate),
            Burst = result.GetValue(_burst),
            SessionId = result.GetValue(_sessionId),
            RefuseRoster = result.GetValue(_refuseRoster),
            Quiet = result.GetValue(_quiet),
        };
    }

    private static DaemonEndpoint ParseListen(ArgumentResult result)
    {
        var value = result.Tokens[0].Value;

        // A client refuses port 0; a listener may ask for any free port.
        var anyPort = value.StartsWith("tcp://", StringComparison.Ordinal) && value.EndsWith(":0", StringComparison.Ordinal);
        var problem = DaemonSettings.Problem(anyPort ? value[..^1] + "1" : value, out var endpoint);
        if (problem is not null)
        {
            result.AddError($"--listen: {DaemonSettings.Problem(value, out _)}");
            return SimulatorOpts.DefaultListen;
        }

        return anyPort ? endpoint with { Port = 0 } : endpoint;
    }

    private static long Whole(ArgumentResult result, long min, long max)
    {
        var value = result.Tokens[0].Value;
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }

        result.AddError(string.Create(CultureInfo.InvariantCulture, $"{OptionName(result)} '{value}' is not a whole number in {min}..{max}"));
        return 0;
    }

    private static double ParseRate(ArgumentResult result)
    {
        var value = result.Tokens[0].Value;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && double.IsFinite(rate) && rate >= 0)
        {
            return rate;
        }

        result.AddError($"--rate '{value}' is not a number of events per second (0 or more)");
        return 0;
    }

    private static ulong? ParseSessionId(ArgumentResult result)
    {
        var value = result.Tokens[0].Value;
        var hex = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? value[2..] : value;
        if (hex.Length is > 0 and <= 16 && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }

        result.AddError($"--session-id '{value}' is not a 64-bit hex number");
        return null;
    }

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : "the value";
}
