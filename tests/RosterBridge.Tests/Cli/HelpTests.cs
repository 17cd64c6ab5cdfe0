using System.CommandLine;
using RosterBridge.Cli;
using Xunit;

namespace RosterBridge.Tests.Cli;

/// <summary><c>--help</c> of every command: exit 0, nothing on stderr, and examples of that very command.</summary>
public sealed class HelpTests
{
    public static TheoryData<string> CommandNames()
    {
        var names = new TheoryData<string>();
        foreach (var command in Commands.Create().Subcommands)
        {
            names.Add(command.Name);
        }

        return names;
    }

    [Fact]
    public void Every_command_the_issue_names_is_there()
    {
        var names = Commands.Create().Subcommands.Select(command => command.Name).ToList();
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "run", "check", "watch", "show", "ready", "version" });
        Assert.DoesNotContain("simulate", names); // the daemon emulator is rosterbridge-sim, not in the product
    }

    [Theory]
    [MemberData(nameof(CommandNames))]
    public async Task Help_of_each_command_ends_with_examples_of_it(string name)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            using var output = new StringWriter();
            using var error = new StringWriter();

            Assert.Equal(0, await Commands.InvokeAsync(Commands.Create(), [name, help], output, error, CancellationToken.None));
            var text = output.ToString();
            Assert.Empty(error.ToString());
            Assert.Contains($"rosterbridge {name} [options]", text, StringComparison.Ordinal); // usage
            var examples = text[(text.IndexOf("Examples:", StringComparison.Ordinal) is >= 0 and var at ? at : throw new Xunit.Sdk.XunitException($"no examples in:\n{text}"))..];
            var lines = examples.Split('\n').Skip(1).Select(line => line.Trim()).TakeWhile(line => line.Length > 0).ToList();
            Assert.NotEmpty(lines);
            Assert.Contains(lines, line => line.StartsWith($"rosterbridge {name}", StringComparison.Ordinal) || line.Contains($" rosterbridge {name}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Help_of_the_program_lists_every_command_and_examples()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await Commands.InvokeAsync(Commands.Create(), ["--help"], output, error, CancellationToken.None));
        var text = output.ToString();
        Assert.All(Commands.Create().Subcommands, command => Assert.Contains($"  {command.Name} ", text, StringComparison.Ordinal));
        Assert.Contains("Examples:", text, StringComparison.Ordinal);
        Assert.Contains("Exit codes:", text, StringComparison.Ordinal);
    }
}
