using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.HomeAssistant;

/// <summary>
/// Home Assistant discovery against a real broker: the configs a Home Assistant would read, checked
/// as it checks them, and their templates rendered by Jinja against the roster's retained entries;
/// then a VM that leaves, is renamed or moves, a bridge restart, and Home Assistant's birth message.
/// </summary>
public sealed class HomeAssistantDiscoveryTests(MosquittoContainer mosquitto, ITestOutputHelper output) : IClassFixture<MosquittoContainer>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private static readonly HomeAssistantOpts Discovery = new() { LeaveGrace = TimeSpan.FromSeconds(3), BirthInterval = TimeSpan.FromSeconds(3) };

    private BridgeHarness Harness() => new(mosquitto, nats: null, output, prefix: "ha");

    private static void StartBridge(BridgeHarness harness, HomeAssistantOpts? discovery = null) =>
        harness.StartBridge(opts => opts with { Mqtt = opts.Mqtt! with { HomeAssistant = discovery ?? Discovery } });

    /// <summary>Waits until Home Assistant would find nothing wrong and see exactly the daemon's VMs.</summary>
    private async Task<DiscoveryView> DiscoveredAsync(BridgeHarness harness)
    {
        DiscoveryView? view = null;
        List<string> problems = ["not read"];
        try
        {
            await Retry.Until(async () => (problems = await (view = await DiscoveryView.ReadAsync(mosquitto.Url, harness.Node)).ProblemsAsync(harness.Daemon.Snapshot())).Count == 0, Converge);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n{string.Join("\n", problems)}");
        }

        return view!;
    }

    [Fact]
    public async Task Every_VM_is_a_device_whose_config_Home_Assistant_reads_from_the_roster_topics()
    {
        await using var harness = Harness();
        harness.Daemon.Attach(0, 100, "web-01", state: 3);
        harness.Daemon.Attach(7, 101, "db-primary", state: 4);
        harness.Daemon.Attach(30, 104, "odd-state", state: 42); // state_42: the option "other"
        harness.Daemon.Attach(63, 103, "サーバー名がとても長い仮想マシン", state: 3); // cut by the daemon
        harness.Daemon.Attach(12, 105, "", state: 1);
        await harness.StartDaemonAsync();

        StartBridge(harness);
        await harness.ConvergeAsync();
        var view = await DiscoveredAsync(harness);

        Assert.Equal(6, view.Configs.Count); // the node's device and five VMs
        var vm = view.Expanded(DiscoveryView.VmTopic(harness.Node, 101));
        Assert.Equal($"rosterbridge_{harness.Node}_vm_101", vm["unique_id"]!.GetValue<string>());
        Assert.Equal($"rosterbridge_{harness.Node}", vm["device"]!["via_device"]!.GetValue<string>());
        Assert.Equal("VM 105", view.Expanded(DiscoveryView.VmTopic(harness.Node, 105))["device"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_rename_a_move_and_a_leave_keep_one_entity_per_VM_and_leave_no_ghost()
    {
        await using var harness = Harness();
        harness.Daemon.Attach(3, 101, "web", state: 3);
        harness.Daemon.Attach(4, 102, "db", state: 3);
        await harness.StartDaemonAsync();
        StartBridge(harness, Discovery with { LeaveGrace = TimeSpan.FromSeconds(10) }); // room for the test's steps between DETACH and ATTACH
        await DiscoveredAsync(harness);
        await using var watcher = await ConfigWatcher.StartAsync(mosquitto.Url, DiscoveryView.VmTopic(harness.Node, 101));

        harness.Daemon.Update(3, state: 4, newName: "web-renamed");
        var renamed = await DiscoveredAsync(harness);
        Assert.Equal("web-renamed", renamed.Expanded(DiscoveryView.VmTopic(harness.Node, 101))["device"]!["name"]!.GetValue<string>());

        // A move: the DETACH and the ATTACH reach the bridge apart, each published on its own.
        harness.Daemon.Detach(3);
        await Retry.Until(async () => !(await LateSubscriber.ReadMqttAsync(mosquitto.Url, harness.Node)).Entries.ContainsKey(3), Converge);
        harness.Daemon.Attach(9, 101, "web-renamed", state: 3);
        var moved = await DiscoveredAsync(harness);
        Assert.Equal($"vmsig/{harness.Node}/roster/9", moved.Expanded(DiscoveryView.VmTopic(harness.Node, 101))["state_topic"]!.GetValue<string>());
        Assert.Equal($"rosterbridge_{harness.Node}_vm_101", moved.Expanded(DiscoveryView.VmTopic(harness.Node, 101))["unique_id"]!.GetValue<string>());

        harness.Daemon.Detach(4);
        await DiscoveredAsync(harness); // vm_102 cleared: no ghost
        Assert.False((await DiscoveryView.ReadAsync(mosquitto.Url, harness.Node)).Configs.ContainsKey(DiscoveryView.VmTopic(harness.Node, 102)));

        // The moved VM's config was updated in place, never cleared and made again.
        Assert.DoesNotContain(watcher.Received, payload => payload.Length == 0);
        Assert.Contains(watcher.Received, payload => Encoding.UTF8.GetString(payload).Contains($"roster/9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bridge_restart_clears_VMs_that_left_while_it_was_down_strays_too_and_no_other_nodes_and_republishes_nothing_else()
    {
        await using var harness = Harness();
        harness.Daemon.Attach(1, 500, "short-lived", state: 3);
        harness.Daemon.Attach(2, 501, "stays", state: 3);
        await harness.StartDaemonAsync();
        var otherNode = $"homeassistant/sensor/rosterbridge_other-{harness.Node}/vm_500/config";
        var stray = $"homeassistant/light/rosterbridge_{harness.Node}/leftover/config";
        await PublishRetainedAsync(otherNode, """{"name":"another node's VM"}""");
        await PublishRetainedAsync(stray, """{"name":"left by an older version"}""");

        StartBridge(harness);
        await DiscoveredAsync(harness);
        await harness.StopBridgeAsync();

        harness.Daemon.Detach(1);
        StartBridge(harness);
        await DiscoveredAsync(harness);

        var retained = await LateSubscriber.ReadRetainedAsync(mosquitto.Url, "homeassistant/#");
        Assert.False(retained.ContainsKey(DiscoveryView.VmTopic(harness.Node, 500)));
        Assert.False(retained.ContainsKey(stray));
        Assert.Equal("""{"name":"another node's VM"}""", Encoding.UTF8.GetString(retained[otherNode]));
        var counters = harness.Bridge!.HomeAssistant!.Counters;
        Assert.Equal(0, counters.Published); // the node's device and "stays" were held already
        Assert.Equal(1, counters.Cleared);
        await PublishRetainedAsync(otherNode, "");
    }

    [Fact]
    public async Task Home_Assistant_birth_publishes_discovery_again_once_per_interval_however_often_it_comes()
    {
        await using var harness = Harness();
        harness.Daemon.Attach(5, 700, "vm-a", state: 3);
        harness.Daemon.Attach(6, 701, "vm-b", state: 1);
        await harness.StartDaemonAsync();
        await PublishRetainedAsync("homeassistant/status", "online"); // a retained birth is no restart
        try
        {
            StartBridge(harness, Discovery with { BirthInterval = TimeSpan.FromSeconds(10) });
            await DiscoveredAsync(harness);
            var counters = harness.Bridge!.HomeAssistant!.Counters;
            Assert.Equal(0, counters.Births);
            var birth = await LateSubscriber.ReadRetainedAsync(mosquitto.Url, "homeassistant/status");
            Assert.Equal("online", Encoding.UTF8.GetString(Assert.Single(birth).Value)); // Home Assistant's topic: never the bridge's to clear
            await using var watcher = await ConfigWatcher.StartAsync(mosquitto.Url, $"homeassistant/+/rosterbridge_{harness.Node}/+/config");

            await PublishAsync("homeassistant/status", "online", retain: false);
            await Retry.Until(() => watcher.Live.Count >= 3, Converge, "every config again, the node's device and two VMs");
            Assert.Equal(1, counters.Republishes);

            for (var i = 0; i < 20; i++)
            {
                await PublishAsync("homeassistant/status", "online", retain: false);
            }

            await Retry.Until(() => counters.Births == 21 && counters.Republishes == 2 && harness.Bridge.HomeAssistant.Births.UntilDue is null && watcher.Live.Count >= 6,
                Converge, "twenty births answered by one republish, an interval later");
            Assert.Equal(2, counters.Republishes);
            Assert.Equal(6, watcher.Live.Count);
            await DiscoveredAsync(harness);
        }
        finally
        {
            await PublishRetainedAsync("homeassistant/status", "");
        }
    }

    private Task PublishRetainedAsync(string topic, string payload) => PublishAsync(topic, payload, retain: true);

    private async Task PublishAsync(string topic, string payload, bool retain)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(mosquitto.Host, mosquitto.Port).WithProtocolVersion(MqttProtocolVersion.V500).Build(), timeout.Token);
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
    }

    /// <summary>A subscriber that keeps every message on a filter: the retained ones at subscription, and those published since (<see cref="Live"/>).</summary>
    private sealed class ConfigWatcher : IAsyncDisposable
    {
        private readonly IMqttClient _client;
        private readonly ConcurrentQueue<(byte[] Payload, bool Retained)> _messages = new();

        private ConfigWatcher(IMqttClient client) => _client = client;

        public IReadOnlyList<byte[]> Received => [.. _messages.Select(message => message.Payload)];

        public IReadOnlyList<byte[]> Live => [.. _messages.Where(message => !message.Retained).Select(message => message.Payload)];

        public static async Task<ConfigWatcher> StartAsync(Uri broker, string filter)
        {
            var watcher = new ConfigWatcher(new MqttClientFactory().CreateMqttClient());
            watcher._client.ApplicationMessageReceivedAsync += args =>
            {
                watcher._messages.Enqueue((args.ApplicationMessage.Payload.ToArray(), args.ApplicationMessage.Retain));
                return Task.CompletedTask;
            };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await watcher._client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithProtocolVersion(MqttProtocolVersion.V500).Build(), timeout.Token);
            await watcher._client.SubscribeAsync(filter, MqttQualityOfServiceLevel.AtLeastOnce, timeout.Token);
            return watcher;
        }

        public async ValueTask DisposeAsync()
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
            _client.Dispose();
        }
    }
}
