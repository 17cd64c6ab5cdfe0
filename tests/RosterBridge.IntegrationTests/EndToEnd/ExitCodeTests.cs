using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.IntegrationTests.EndToEnd;

/// <summary>
/// Every exit code of <c>rosterbridge</c> as its own process, from a command line and an
/// environment. No broker is needed: the sinks point at a closed port, and each check happens
/// before anything connects, or does not need a broker at all.
/// </summary>
public sealed class ExitCodeTests : IAsyncLifetime
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("rosterbridge-exit-").FullName;
    private SimulatedDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_dir, "vmsig.sock"), 0), Quiet = true });
        await _daemon.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(_dir, "broken.json"), """{ "Node": "x", """);
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// One row per line: the exit code, what the output must name, then the command line. A token
    /// <c>env:NAME=VALUE</c> sets an environment variable instead; <c>{dir}</c> is a temporary
    /// folder (holding <c>broken.json</c>), <c>{daemon}</c> the simulated daemon's endpoint.
    /// </summary>
    [Theory]
    [InlineData(0, "Usage:", "--help")]
    [InlineData(0, "Usage:", "-h")]
    [InlineData(0, "--node", "run", "--help")]
    [InlineData(0, "--Section:Key", "run", "--help")]
    [InlineData(0, "--node", "show", "--help")]
    [InlineData(0, "/readyz", "ready", "--help")]
    [InlineData(0, "rosterbridge ", "version")]
    [InlineData(0, "rosterbridge ", "--version")]
    [InlineData(2, "-n=x", "run", "-n=x")]
    [InlineData(2, "--no-such-option", "run", "--no-such-option")]
    [InlineData(2, "--no-such-option", "show", "--no-such-option")]
    [InlineData(2, "--help", "run", "--no-such-option")]
    [InlineData(2, "frobnicate", "frobnicate")]
    [InlineData(2, "rosterbridge --help")]
    [InlineData(2, "Mqtt:Urll", "run", "--Mqtt:Urll=mqtt://127.0.0.1:1")]
    [InlineData(2, "Mqtt:Urll", "run", "--Mqtt:Urll", "mqtt://127.0.0.1:1")]
    [InlineData(2, "configuration error: Node:", "run", "--node", "a.b")]
    [InlineData(2, "configuration error: Node:", "run", "env:ROSTERBRIDGE_NODE=a/b")]
    [InlineData(2, "both sinks are off", "run", "--mqtt", "off", "--nats", "off")]
    [InlineData(2, "both sinks are off", "run", "env:ROSTERBRIDGE_MQTT__URL=off", "env:ROSTERBRIDGE_NATS__URL=OFF")]
    [InlineData(2, "configuration error: Mqtt:MaxInFlight:", "run", "--Mqtt:MaxInFlight=0")]
    [InlineData(2, "configuration error: HomeAssistant:Enabled: Home Assistant reads the roster's topics as JSON only", "run", "--HomeAssistant:Enabled=true", "--Mqtt:Format=msgpack")]
    [InlineData(2, "configuration error: HomeAssistant:Enabled:", "run", "env:ROSTERBRIDGE_HOMEASSISTANT__ENABLED=true", "--mqtt", "off")]
    [InlineData(2, "configuration error: HomeAssistant:DiscoveryPrefix:", "run", "--HomeAssistant:Enabled=true", "--HomeAssistant:DiscoveryPrefix=ha/#")]
    [InlineData(2, "configuration error: Health:Port:", "run", "--Health:Port", "65536")]
    [InlineData(2, "configuration error: Reconnect:InitialDelayMs:", "run", "env:ROSTERBRIDGE_RECONNECT__INITIALDELAYMS=ten")]
    [InlineData(2, "configuration error: Mqtt:Url:", "run", "--mqtt", "http://127.0.0.1:1883")]
    [InlineData(2, "configuration error: Nats:Url:", "run", "--nats", "nats://")]
    [InlineData(2, "configuration error: Daemon:Endpoint:", "run", "--daemon", "/run/vmsig/vmsig.sock")]
    [InlineData(2, "configuration error: Config:", "run", "--config", "{dir}/missing.json")]
    [InlineData(2, "configuration error: Config:", "run", "--config", "{dir}/broken.json")]
    [InlineData(2, "configuration error: Config:", "run", "env:ROSTERBRIDGE_CONFIG={dir}/broken.json")]
    [InlineData(2, "configuration error: Daemon:Endpoint:", "run", "--daemon", "unix:///tmp/{long}/vmsig.sock")]
    [InlineData(2, "configuration error: Node:", "show", "--node", "a.b")]
    [InlineData(2, "configuration error: Health:Port:", "ready", "--Health:Port=0")]
    // The daemon emulator is rosterbridge-sim's alone: the bridge has no command that listens on a socket.
    [InlineData(2, "simulate", "simulate", "--listen", "unix://{dir}/vmsig.sock")]
    public async Task Exit_code_and_message(int code, string named, params string[] tokens)
    {
        var (args, environment) = Expand(tokens);

        await using var bridge = BridgeProcess.Start(args, environment);

        Assert.True(code == await bridge.WaitForExitAsync(ExitWithin), $"exit code {code} expected; output:\n{bridge.Output}");
        AssertClearOutput(bridge.Output, named);
        Assert.Equal(0, _daemon.ConnectedSubscribers);
    }

    [Fact]
    public async Task Exit_0_on_SIGTERM_of_a_running_bridge_whose_brokers_are_down()
    {
        await using var bridge = BridgeProcess.Start(["run"], Environment());
        await Retry.Until(() => _daemon.ConnectedSubscribers == 1, ExitWithin, "the bridge subscribes to the daemon");

        bridge.Terminate();

        Assert.Equal(0, await bridge.WaitForExitAsync(ExitWithin));
        AssertClearOutput(bridge.Output, "stopped");
    }

    [Fact]
    public async Task Exit_3_when_the_daemon_refuses_this_subscriber()
    {
        _daemon.RefuseRoster = true;

        await using var bridge = BridgeProcess.Start(["run"], Environment());

        Assert.Equal(3, await bridge.WaitForExitAsync(ExitWithin));
        AssertClearOutput(bridge.Output, "capability refused");
    }

    /// <summary>
    /// A broken installation: one of the bridge's libraries cut short (a copy or an update that
    /// broke off). Nothing the bridge expects: exit 1, with one line saying which library failed.
    /// </summary>
    [Fact]
    public async Task Exit_1_with_one_line_when_something_unexpected_fails()
    {
        var broken = CopyOfTheBuildWithTruncated("Microsoft.Extensions.Hosting.Systemd.dll");

        await using var bridge = BridgeProcess.Start(["run"], Environment(), Path.Combine(broken, "RosterBridge.dll"));

        Assert.True(await bridge.WaitForExitAsync(ExitWithin) == 1, $"exit code 1 expected; output:\n{bridge.Output}");
        AssertClearOutput(bridge.Output, "Microsoft.Extensions.Hosting.Systemd");
        Assert.Single(bridge.Output.Split('\n'), line => line.Contains("Microsoft.Extensions.Hosting.Systemd", StringComparison.Ordinal));
    }

    private static void AssertClearOutput(string output, string named)
    {
        Assert.Contains(named, output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", output); // no stack trace
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["ROSTERBRIDGE_NODE"] = "exit-codes",
        ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
        ["ROSTERBRIDGE_MQTT__URL"] = "mqtt://127.0.0.1:1",
        ["ROSTERBRIDGE_NATS__URL"] = "nats://127.0.0.1:1",
        ["ROSTERBRIDGE_HEALTH__PORT"] = "0",
    };

    private (List<string> Args, Dictionary<string, string> Environment) Expand(string[] tokens)
    {
        var environment = Environment();
        var args = new List<string>();
        foreach (var token in tokens)
        {
            // A path of more than the 107 bytes a unix socket address can hold.
            var text = token.Replace("{dir}", _dir, StringComparison.Ordinal)
                .Replace("{daemon}", _daemon.Endpoint.ToString(), StringComparison.Ordinal)
                .Replace("{long}", new string('d', 100), StringComparison.Ordinal);
            if (text.StartsWith("env:", StringComparison.Ordinal))
            {
                var equals = text.IndexOf('=', StringComparison.Ordinal);
                environment[text[4..equals]] = text[(equals + 1)..];
            }
            else
            {
                args.Add(text);
            }
        }

        return (args, environment);
    }

    /// <summary>The bridge's build (beside these tests) in a folder of its own, with one of its libraries cut short (a copy that broke off).</summary>
    private string CopyOfTheBuildWithTruncated(string library)
    {
        var target = Directory.CreateDirectory(Path.Combine(_dir, "broken-build")).FullName;
        var source = AppContext.BaseDirectory;
        foreach (var file in Directory.EnumerateFiles(source, "*.dll").Concat(Directory.EnumerateFiles(source, "RosterBridge.*.json")))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        var whole = File.ReadAllBytes(Path.Combine(source, library));
        File.WriteAllBytes(Path.Combine(target, library), whole[..1000]);
        return target;
    }
}
