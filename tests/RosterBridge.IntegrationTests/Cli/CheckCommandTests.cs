using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.IntegrationTests.Cli;

/// <summary><c>rosterbridge check</c> through the real entry point, against a simulated daemon and real brokers.</summary>
public sealed class CheckCommandTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly string _node = $"chk-{Guid.NewGuid():N}"[..16];
    private SimulatedDaemon _daemon = null!;
    private readonly DaemonOnSocket _socket = new("rosterbridge-check-");

    public CheckCommandTests(MosquittoContainer mosquitto, NatsContainer nats)
    {
        _mosquitto = mosquitto;
        _nats = nats;
    }

    public async Task InitializeAsync() => _daemon = await _socket.StartAsync();

    public async Task DisposeAsync() => await _socket.DisposeAsync();

    [Fact]
    public async Task With_everything_reachable_it_exits_0_and_reports_the_daemon_MQTT_and_NATS_ok()
    {
        _daemon.Attach(3, 103, "checked", state: 3);
        _daemon.Attach(9, 109, "also-checked", state: 1);

        var (exitCode, output) = await CheckAsync(Mqtt, Nats);

        Assert.True(exitCode == 0, output);
        Assert.Contains($"daemon {_daemon.Endpoint}: ok: WELCOME", output, StringComparison.Ordinal);
        Assert.Contains("2 endpoints occupied", output, StringComparison.Ordinal);
        Assert.Contains($"mqtt {Mqtt}: ok: connected (MQTT 5)", output, StringComparison.Ordinal);
        Assert.Contains($"nats {Nats}: ok: connected (nats-server ", output, StringComparison.Ordinal);
        Assert.Contains("all 4 checks passed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_that_is_down_fails_the_check_with_exit_code_1_and_says_which_and_why()
    {
        var nowhere = $"nats://127.0.0.1:{FreeTcpPort.Find()}";

        var (exitCode, output) = await CheckAsync(Mqtt, nowhere);

        Assert.True(exitCode == 1, output);
        Assert.Contains($"mqtt {Mqtt}: ok", output, StringComparison.Ordinal);
        var line = output.Split('\n').Single(line => line.StartsWith($"nats {nowhere}: FAILED: ", StringComparison.Ordinal));
        Assert.True(line.Length > $"nats {nowhere}: FAILED: ".Length + 10, $"a reason: {line}");
        Assert.Contains("1 of 4 checks failed; exit code 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_socket_that_does_not_exist_is_named_in_the_report()
    {
        var missing = Path.Combine(_socket.DirectoryPath, "not-there.sock");

        var (exitCode, output) = await CheckAsync(Mqtt, Nats, daemon: $"unix://{missing}");

        Assert.True(exitCode == 1, output);
        Assert.Contains($"the socket {missing} does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_setting_is_exit_code_2_and_no_connection_is_tried()
    {
        var (exitCode, output) = await CheckAsync("http://broker:1883", Nats);

        Assert.True(exitCode == 2, output);
        Assert.Contains("Mqtt:Url", output, StringComparison.Ordinal);
        Assert.Contains("no connection was tried", output, StringComparison.Ordinal);
    }

    private string Mqtt => $"mqtt://{_mosquitto.Host}:{_mosquitto.Port}";

    private string Nats => $"nats://{_nats.Host}:{_nats.Port}";

    private async Task<(int ExitCode, string Output)> CheckAsync(string mqtt, string nats, string? daemon = null)
    {
        await using var check = BridgeProcess.Start(
            ["check", "--node", _node, "--daemon", daemon ?? _daemon.Endpoint.ToString(), "--mqtt", mqtt, "--nats", nats, "--Health:Port=0"],
            new Dictionary<string, string>());
        var exitCode = await check.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exitCode, check.Output);
    }
}
