using System.Text.Json;
using System.Text.RegularExpressions;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.IntegrationTests.Observability;

/// <summary>
/// The log of <c>rosterbridge run</c> as its own process, its output redirected as a supervisor's is:
/// JSON lines with <c>--Logging:Format=json</c>, the journal's priority prefixes when systemd says
/// stdout goes to the journal, and at the default level no line per roster change.
/// </summary>
public sealed partial class LoggingTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(30);
    private static readonly string[] Levels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly string _node = $"log-{Guid.NewGuid():N}"[..16];
    private SimulatedDaemon _daemon = null!;
    private readonly DaemonOnSocket _socket = new("rosterbridge-log-");

    public LoggingTests(MosquittoContainer mosquitto, NatsContainer nats)
    {
        _mosquitto = mosquitto;
        _nats = nats;
    }

    public async Task InitializeAsync() => _daemon = await _socket.StartAsync();

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    [Fact]
    public async Task With_Logging_Format_json_every_line_is_a_JSON_object_of_the_console_JSON_formatter()
    {
        var lines = await RunThroughChangesAsync(["--Logging:Format=json", "--Logging:Level=Debug"], new Dictionary<string, string>());

        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var entry = Parse(line);
            var root = entry.RootElement;
            Assert.True(DateTimeOffset.TryParse(root.GetProperty("Timestamp").GetString(), out _), line);
            Assert.EndsWith("Z", root.GetProperty("Timestamp").GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.Number, root.GetProperty("EventId").ValueKind);
            Assert.Contains(root.GetProperty("LogLevel").GetString(), Levels);
            Assert.StartsWith("rosterbridge", root.GetProperty("Category").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("Message").GetString()), line);
        }

        // Structured: the values of a message are fields a log shipper can index.
        var entries = lines.Select(Parse).ToList();
        var starting = entries.First(entry => entry.RootElement.GetProperty("Message").GetString()!.StartsWith("rosterbridge node ", StringComparison.Ordinal));
        var synced = entries.First(entry => entry.RootElement.GetProperty("Message").GetString()!.Contains("synced", StringComparison.Ordinal));
        Assert.Equal(_node, starting.RootElement.GetProperty("State").GetProperty("Node").GetString());
        Assert.Equal(JsonValueKind.Number, synced.RootElement.GetProperty("State").GetProperty("Occupied").ValueKind);
    }

    [Fact]
    public async Task At_the_default_level_roster_changes_add_no_lines_and_at_Debug_each_publish_has_one()
    {
        var quiet = await RunThroughChangesAsync([], new Dictionary<string, string>());
        var chatty = await RunThroughChangesAsync(["--Logging:Level=Debug"], new Dictionary<string, string>());

        // The default (Information): what the bridge connected to and when it stops; nothing per endpoint.
        Assert.DoesNotContain(quiet, line => line.Contains("endpoint ", StringComparison.Ordinal) && !line.Contains("endpoints occupied", StringComparison.Ordinal));
        Assert.InRange(quiet.Count, 4, 12);
        Assert.All(quiet, line => Assert.Matches(TimestampFirst(), line));
        // Debug: a line per publish, on each sink, for every change made.
        Assert.True(chatty.Count(line => line.Contains("mqtt: endpoint ", StringComparison.Ordinal)) >= Changes, string.Join('\n', chatty));
        Assert.True(chatty.Count(line => line.Contains("nats: endpoint ", StringComparison.Ordinal)) >= Changes, string.Join('\n', chatty));
    }

    [Fact]
    public async Task When_JOURNAL_STREAM_names_its_stdout_lines_carry_the_journals_priority_prefixes_and_no_colours()
    {
        // As systemd sets it: device:inode of the stream stdout is (here the pipe the test reads).
        var lines = await RunThroughChangesAsync([], new Dictionary<string, string>(),
            "JOURNAL_STREAM=\"$(stat -L -c %d /proc/$$/fd/1):$(stat -L -c %i /proc/$$/fd/1)\" exec dotnet \"$0\" \"$@\"");

        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Matches(JournalPrefix(), line));
        Assert.Contains(lines, line => line.StartsWith("<6>", StringComparison.Ordinal)); // Information
        Assert.DoesNotContain(lines, line => line.Contains('\u001b', StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_JOURNAL_STREAM_inherited_for_another_stream_changes_nothing()
    {
        // A terminal opened from a desktop session inherits its session's JOURNAL_STREAM; its stdout is not that stream.
        var lines = await RunThroughChangesAsync([], new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:123456" });

        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Matches(TimestampFirst(), line));
    }

    private const int Changes = 6;

    /// <summary>Runs the bridge through a sync and <see cref="Changes"/> roster changes, stops it with SIGTERM, and returns its output's lines.</summary>
    private async Task<List<string>> RunThroughChangesAsync(IReadOnlyList<string> options, Dictionary<string, string> environment, string? shell = null)
    {
        var first = Random.Shared.Next(0, 32);
        _daemon.Attach(first, 300, "logged", state: 3);
        environment["ROSTERBRIDGE_NODE"] = _node;
        environment["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString();
        environment["ROSTERBRIDGE_MQTT__URL"] = $"mqtt://{_mosquitto.Host}:{_mosquitto.Port}";
        environment["ROSTERBRIDGE_NATS__URL"] = $"nats://{_nats.Host}:{_nats.Port}";
        environment["ROSTERBRIDGE_HEALTH__PORT"] = "0";
        environment.TryAdd("JOURNAL_STREAM", string.Empty);
        await using var bridge = shell is null ? BridgeProcess.Start(["run", .. options], environment) : BridgeProcess.StartThroughShell(shell, ["run", .. options], environment);
        await ConvergeAsync(bridge);
        // Each change seen on both brokers before the next: none is coalesced away, each is published.
        for (var i = 1; i <= Changes / 2; i++)
        {
            _daemon.Attach(first + 32, (uint)(300 + i), $"logged-{i}", state: 1);
            await ConvergeAsync(bridge);
            _daemon.Detach(first + 32);
            await ConvergeAsync(bridge);
        }

        _daemon.Detach(first);
        await ConvergeAsync(bridge);
        bridge.Terminate();
        Assert.Equal(0, await bridge.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        return bridge.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToList();
    }

    private async Task ConvergeAsync(BridgeProcess bridge)
    {
        var expected = ExpectedRoster.From(_node, _daemon.Snapshot());
        try
        {
            await Retry.Until(async () => expected.IsMatchedBy(await LateSubscriber.ReadMqttAsync(_mosquitto.Url, _node)), Converge);
            await Retry.Until(async () => expected.IsMatchedBy(await LateSubscriber.ReadNatsAsync(_nats.Url, _node)), Converge);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nrosterbridge output:\n{bridge.Output}");
        }
    }

    private static JsonDocument Parse(string line)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new Xunit.Sdk.XunitException($"not a JSON line: {line}: {ex.Message}");
        }
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")]
    private static partial Regex TimestampFirst();

    [GeneratedRegex(@"^<[0-7]>\S")]
    private static partial Regex JournalPrefix();
}
