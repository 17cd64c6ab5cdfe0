using System.Globalization;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.IntegrationTests.EndToEnd;

/// <summary><c>Health:Address</c> forms as a user writes them, on the bridge as its own process (no broker needed).</summary>
public sealed class HealthAddressTests : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("rosterbridge-health-").FullName;
    private SimulatedDaemon _daemon = null!;

    public async Task InitializeAsync()
    {
        _daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_dir, "vmsig.sock"), 0), Quiet = true });
        await _daemon.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("::1", "[::1]")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("localhost", "127.0.0.1")]
    [InlineData("0.0.0.0", "127.0.0.1")]
    public async Task The_bridge_answers_healthz_and_ready_reads_readyz_on_the_address(string address, string urlHost)
    {
        var port = FreeTcpPort.Find().ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = "health",
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = _daemon.Endpoint.ToString(),
            ["ROSTERBRIDGE_MQTT__URL"] = "mqtt://127.0.0.1:1",
            ["ROSTERBRIDGE_NATS__URL"] = "off",
            ["ROSTERBRIDGE_HEALTH__ADDRESS"] = address,
            ["ROSTERBRIDGE_HEALTH__PORT"] = port,
        };
        await using var bridge = BridgeProcess.Start(["run"], environment);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        try
        {
            await Retry.Until(async () => (await http.GetAsync(new Uri($"http://{urlHost}:{port}/healthz"))).IsSuccessStatusCode, Within);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nrosterbridge output:\n{bridge.Output}");
        }

        // The broker is down: the bridge answers, not ready.
        await using var ready = BridgeProcess.Start(["ready"], environment);
        Assert.Equal(1, await ready.WaitForExitAsync(Within));
        Assert.Contains("\"ready\":false", ready.Output, StringComparison.Ordinal);
        Assert.Contains("mqtt: not connected", ready.Output, StringComparison.Ordinal);
        Assert.False(bridge.HasExited);
        Assert.DoesNotContain("Unhandled exception", bridge.Output, StringComparison.OrdinalIgnoreCase);
    }
}
