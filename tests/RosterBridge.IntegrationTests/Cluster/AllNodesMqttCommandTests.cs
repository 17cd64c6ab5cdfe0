using RosterBridge.Cli;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// <c>show --all-nodes</c> and <c>watch --all-nodes</c> over MQTT: one namespace per node
/// (<c>vmsig/&lt;node&gt;/roster/+</c>) under one mosquitto, read together through <c>vmsig/+/roster/+</c>.
/// </summary>
[Collection(OneClusterAtATime.Name)]
public sealed class AllNodesMqttCommandTests(MosquittoContainer mosquitto, ITestOutputHelper output) : IClassFixture<MosquittoContainer>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Show_and_watch_all_nodes_over_one_mqtt_broker_give_each_nodes_namespace()
    {
        await using var first = new BridgeHarness(mosquitto, null, output, "m1");
        await using var second = new BridgeHarness(mosquitto, null, output, "m2");
        BridgeHarness[] hosts = [first, second];
        for (var i = 0; i < hosts.Length; i++)
        {
            await hosts[i].StartDaemonAsync();
            hosts[i].Churn(30, seed: 50 + i);
            hosts[i].StartBridge();
        }

        foreach (var host in hosts)
        {
            await host.ConvergeAsync();
        }

        var commandLine = new Dictionary<string, string?> { ["Mqtt:Url"] = mosquitto.Url.ToString().TrimEnd('/'), ["Nats:Url"] = "off" };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.True(await ShowCommand.RunAsync(commandLine, stdout, stderr, CancellationToken.None, allNodes: true) == 0, stderr.ToString());
        var (nodes, _) = CommandOutput.Show(stdout.ToString(), '/');
        foreach (var host in hosts)
        {
            Assert.Null(ExpectedRoster.From(host.Node, host.Daemon.Snapshot()).Mismatch(nodes[host.Node]));
        }

        using var lines = new CommandOutput.Captured();
        using var errors = new CommandOutput.Captured();
        using var stop = new CancellationTokenSource();
        // watch reads one broker: the one named.
        var watch = WatchCommand.RunAsync(new Dictionary<string, string?> { ["Mqtt:Url"] = commandLine["Mqtt:Url"] }, plain: true, lines, errors, stop.Token, allNodes: true);
        second.Churn(30, seed: 60);
        await Retry.Until(
            () => watch.IsCompleted || CommandOutput.WatchMismatch(CommandOutput.Watch(lines.Lines()), hosts.Select(host => (host.Node, (IReadOnlyList<Simulate.RosterSlot?>)host.Daemon.Snapshot()))) is null,
            Within);
        Assert.False(watch.IsCompleted, errors.ToString());
        await stop.CancelAsync();
        Assert.Equal(0, await watch.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
