using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Faults;

/// <summary>
/// Brokers that die, restart without their state, or hang, while the roster changes: afterwards
/// late subscribers see exactly the daemon's roster, and the bridge is still running.
/// </summary>
public sealed class BrokerFaultTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly BridgeHarness _harness;

    public BrokerFaultTests(MosquittoContainer mosquitto, NatsContainer nats, ITestOutputHelper output)
    {
        _mosquitto = mosquitto;
        _nats = nats;
        _harness = new BridgeHarness(mosquitto, nats, output, "fault");
    }

    public async Task InitializeAsync()
    {
        await _harness.StartDaemonAsync();
        _harness.Churn(40, seed: 1);
        _harness.StartBridge();
        await _harness.ConvergeAsync();
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();

        // A test may end with a broker stopped or paused; the next one in this class needs it up.
        await EnsureRunningAsync(_mosquitto);
        await EnsureRunningAsync(_nats);
    }

    [Fact]
    public async Task Mosquitto_restarted_without_persistence_gets_the_whole_roster_back()
    {
        await _mosquitto.StopAsync();
        _harness.Churn(30, seed: 2); // the roster changes during the outage
        await _mosquitto.StartAsync();

        await _harness.ConvergeAsync();
        Assert.True(_harness.BridgeIsRunning);
    }

    [Fact]
    public async Task Nats_server_restarted_during_changes_converges()
    {
        await _nats.StopAsync();
        _harness.Churn(30, seed: 3);
        await _nats.StartAsync();

        await _harness.ConvergeAsync();
        Assert.True(_harness.BridgeIsRunning);
    }

    [Fact]
    public async Task Paused_brokers_are_caught_up_after_they_thaw()
    {
        await _mosquitto.PauseAsync();
        await _nats.PauseAsync();
        _harness.Churn(30, seed: 4); // publishes hang: the bridge must notice the dead connections
        await Retry.Until(() => _harness.Bridge!.Sinks.All(sink => sink.Counters.FailedPublishes > 0 || !sink.IsConnected), BridgeHarness.Converge,
            "both sinks noticed that their broker stopped answering");
        await _mosquitto.UnpauseAsync();
        await _nats.UnpauseAsync();

        await _harness.ConvergeAsync();
        Assert.True(_harness.BridgeIsRunning);
    }

    [Fact]
    public async Task Both_brokers_restarted_together_while_the_daemon_bursts()
    {
        await Task.WhenAll(_mosquitto.StopAsync(), _nats.StopAsync());
        _harness.Churn(2000, seed: 5);
        await Task.WhenAll(_mosquitto.StartAsync(), _nats.StartAsync());

        await _harness.ConvergeAsync();
        Assert.True(_harness.BridgeIsRunning);
    }

    private static async Task EnsureRunningAsync(BrokerContainer broker)
    {
        var state = broker.Container.State;
        if (state == DotNet.Testcontainers.Containers.TestcontainersStates.Paused)
        {
            await broker.UnpauseAsync();
        }
        else if (state != DotNet.Testcontainers.Containers.TestcontainersStates.Running)
        {
            await broker.StartAsync();
        }
    }
}
