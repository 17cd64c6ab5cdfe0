using System.CommandLine;
using RosterBridge.Cli;
using RosterBridge.Config;
using Xunit;

namespace RosterBridge.Tests.Cli;

/// <summary>Configuration keys on the command line, as <c>run</c>, <c>show</c> and <c>ready</c> parse them.</summary>
public sealed class ConfigOptionsTests
{
    private static (ParseResult Result, ConfigOptions Options) ParseCommandLine(params string[] args)
    {
        var command = new RootCommand();
        var options = new ConfigOptions(command);
        return (command.Parse(ConfigOptions.SplitKeyValues(args)), options);
    }

    private static IReadOnlyDictionary<string, string?> CommandLine(params string[] args)
    {
        var (result, options) = ParseCommandLine(args);
        Assert.Empty(result.Errors);
        return options.Values(result);
    }

    [Theory]
    [InlineData("--Daemon:Endpont", "x")]
    [InlineData("--Daemon:Endpont=x")]
    [InlineData("--Mqtt:Url:x")]
    [InlineData("--Nats")]
    [InlineData("--node")]
    [InlineData("-n=x")]
    public void Unknown_or_incomplete_keys_on_the_command_line_are_refused(params string[] args)
    {
        var (result, _) = ParseCommandLine(args);

        Assert.NotEmpty(result.Errors);
        Assert.Contains(args[0], result.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_key_is_an_option_in_both_forms_and_the_short_forms_set_theirs()
    {
        var keys = ConfigKeys.All;

        Assert.Equal(keys.ToDictionary(key => key, key => (string?)$"v-{key}"), CommandLine([.. keys.Select(key => $"--{key}=v-{key}")]));
        Assert.Equal(keys.ToDictionary(key => key, key => (string?)$"v-{key}"), CommandLine([.. keys.SelectMany(key => new[] { $"--{key}", $"v-{key}" })]));
        Assert.Equal(
            new Dictionary<string, string?> { ["Config"] = "f", ["Node"] = "n", ["Daemon:Endpoint"] = "d", ["Mqtt:Url"] = "m", ["Nats:Url"] = "s" },
            CommandLine("--config", "f", "--node=n", "--daemon", "d", "--mqtt", "m", "--nats=s"));
    }

    [Fact]
    public void A_value_with_an_equals_sign_or_a_colon_stays_whole()
    {
        Assert.Equal(
            new Dictionary<string, string?> { ["Mqtt:Password"] = "a=b:c", ["Mqtt:Url"] = "mqtt://h:1" },
            CommandLine("--Mqtt:Password=a=b:c", "--Mqtt:Url", "mqtt://h:1"));
    }

    [Theory]
    [InlineData(2, "rosterbridge: Unrecognized command or argument 'frobnicate'.", "frobnicate")]
    [InlineData(2, "rosterbridge run: Unrecognized command or argument '--no-such-option'.", "run", "--no-such-option")]
    [InlineData(2, "See 'rosterbridge show --help'.", "show", "--Mqtt:Urll=x")]
    [InlineData(2, "See 'rosterbridge --help'.")]
    public async Task A_command_line_the_parser_refuses_exits_2_and_points_to_help(int code, string said, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(code, await Commands.InvokeAsync(Commands.Create(), args, output, error, CancellationToken.None));
        Assert.Contains(said, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    [Theory]
    [InlineData("Examples:", "--help")]
    [InlineData("Mqtt:MaxInFlight", "run", "--help")]
    [InlineData("Exit codes:", "run", "--help")]
    [InlineData("Health:Port", "ready", "-h")]
    [InlineData("rosterbridge ", "version")]
    [InlineData("rosterbridge ", "--version")]
    public async Task Help_and_version_exit_0(string said, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await Commands.InvokeAsync(Commands.Create(), args, output, error, CancellationToken.None));
        Assert.Contains(said, output.ToString(), StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }
}
