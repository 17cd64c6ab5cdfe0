using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Nats;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Nats;

/// <summary>
/// <c>Nats:Mode kv</c> against a real nats-server: late readers (NATS.Net's KV client and nats.js) read
/// the bucket exactly as the daemon holds it, a vacated endpoint is a KV delete, and the bucket converges
/// after a bridge restart and after keys someone else wrote under the node.
/// </summary>
public sealed class KvModeTests(NatsContainer nats, ITestOutputHelper output) : IClassFixture<NatsContainer>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Late_readers_get_the_bucket_as_the_daemon_holds_it_through_attach_update_and_detach()
    {
        var bucket = Bucket();
        await using var harness = new BridgeHarness(mosquitto: null, nats, output, "kv");
        harness.Daemon.Attach(1, 101, "web-01", state: 3);
        harness.Daemon.Attach(2, 102, "db-01", state: 3);
        await harness.StartDaemonAsync();
        harness.StartBridge(opts => Kv(opts, bucket));
        await ConvergeAsync(harness, bucket);

        harness.Daemon.Update(1, 4, "web-01-renamed");
        await ConvergeAsync(harness, bucket);

        harness.Daemon.Detach(2);
        await ConvergeAsync(harness, bucket);

        // The vacated endpoint is a KV delete: nats.js's get says DEL, and a watcher gets the DEL.
        var node = harness.Node;
        var read = await NodeKvClient.ReadAsync(nats.Url, bucket, node, $"{node}.2", $"{node}.5");
        Assert.Equal("DEL", read.Gets[$"{node}.2"]!.Operation);
        Assert.Null(read.Gets[$"{node}.5"]); // never written
        Assert.Equal("DEL", read.Watched[$"{node}.2"].Operation);
        Assert.Equal("PUT", read.Watched[$"{node}.1"].Operation);
        Assert.DoesNotContain($"{node}.2", read.Keys.Keys);
    }

    [Fact]
    public async Task Vms_that_left_while_the_bridge_was_down_are_deleted_and_changes_republished_at_its_start()
    {
        var bucket = Bucket();
        await using var harness = new BridgeHarness(mosquitto: null, nats, output, "kv");
        harness.Daemon.Attach(1, 201, "stays", state: 3);
        harness.Daemon.Attach(2, 202, "leaves", state: 3);
        harness.Daemon.Attach(3, 203, "changes", state: 3);
        await harness.StartDaemonAsync();
        harness.StartBridge(opts => Kv(opts, bucket));
        await ConvergeAsync(harness, bucket);
        await harness.StopBridgeAsync();

        harness.Daemon.Detach(2);
        harness.Daemon.Update(3, 8, "changed");
        harness.StartBridge(opts => Kv(opts, bucket));
        await ConvergeAsync(harness, bucket);

        var read = await KvLateSubscriber.ReadAsync(nats.Url, bucket, harness.Node);
        Assert.Contains(2, read.Deleted);
    }

    [Fact]
    public async Task Keys_under_the_node_that_are_no_endpoint_are_deleted_and_other_nodes_keys_are_left_alone()
    {
        var bucket = Bucket();
        await using var harness = new BridgeHarness(mosquitto: null, nats, output, "kv");
        var node = harness.Node;
        await using (var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() }))
        {
            var store = await new NatsKVContext(new NatsJSContext(connection)).CreateStoreAsync(new NatsKVConfig(bucket));
            await store.PutAsync($"{node}.99", "{}"u8.ToArray());
            await store.PutAsync($"{node}.3.x", "{}"u8.ToArray());
            await store.PutAsync($"{node}.07", "{}"u8.ToArray());
            await store.PutAsync($"{node}.4", "{\"left\":\"while the bridge was down\"}"u8.ToArray());
            await store.PutAsync("other-node.4", "{\"other\":true}"u8.ToArray());
        }

        harness.Daemon.Attach(1, 301, "only", state: 3);
        await harness.StartDaemonAsync();
        harness.StartBridge(opts => Kv(opts, bucket));
        await ConvergeAsync(harness, bucket);

        string[] written = [$"{node}.99", $"{node}.3.x", $"{node}.07", $"{node}.4", "other-node.4"];
        NodeKvClient.Bucket? read = null;
        await Retry.Until(
            async () => (read = await NodeKvClient.ReadAsync(nats.Url, bucket, node, written)).Gets
                .Where(get => get.Key.StartsWith(node, StringComparison.Ordinal)).All(get => get.Value?.Operation == "DEL"),
            Converge);
        Assert.Equal("PUT", read!.Gets["other-node.4"]!.Operation);
        Assert.Equal("{\"other\":true}", read.Gets["other-node.4"]!.Value);
    }

    [Fact]
    public async Task A_key_holds_exactly_the_bytes_the_stream_mode_entry_of_the_same_endpoint_holds()
    {
        var bucket = Bucket();
        await using var harness = new BridgeHarness(mosquitto: null, nats, output, "kv");
        harness.Daemon.Attach(1, 601, "same-bytes", state: 3);
        harness.Daemon.Attach(7, 607, "naïve-ünïcode", state: 8);
        await harness.StartDaemonAsync();
        // Both bridges in the default format, MessagePack: one in KV mode, one in stream mode.
        var kvOpts = new NatsSinkOpts { Url = new BrokerUrl(nats.Host, nats.Port), Mode = NatsMode.Kv, Bucket = bucket, PublishTimeout = TimeSpan.FromSeconds(5) };
        var streamOpts = kvOpts with { Mode = NatsMode.Stream };
        harness.StartBridge(opts => opts with { Nats = kvOpts });
        using var logging = Microsoft.Extensions.Logging.LoggerFactory.Create(_ => { });
        var streamBridge = new Bridge(
            new BridgeOpts { Node = harness.Node, Daemon = harness.Daemon.Endpoint, Mqtt = null, Nats = streamOpts, Health = new HealthOpts { Port = 0 } },
            logging);
        using var stop = new CancellationTokenSource();
        var running = streamBridge.RunAsync(stop.Token);

        IReadOnlyList<NatsRosterReader.Entry> keys = [];
        IReadOnlyList<NatsRosterReader.Entry> subjects = [];
        await Retry.Until(async () => (keys = await NatsRosterReader.ReadLastAsync(kvOpts, harness.Node, CancellationToken.None)).Count == 2, Converge);
        await Retry.Until(async () => (subjects = await NatsRosterReader.ReadLastAsync(streamOpts, harness.Node, CancellationToken.None)).Count == 2, Converge);

        foreach (var endpoint in new[] { 1, 7 })
        {
            var key = Assert.Single(keys, entry => entry.Subject == $"{harness.Node}.{endpoint}");
            var subject = Assert.Single(subjects, entry => entry.Subject == $"vmsig.{harness.Node}.roster.{endpoint}");
            Assert.NotEmpty(key.Body);
            Assert.Equal(subject.Body, key.Body);
        }

        await stop.CancelAsync();
        await running;
    }

    /// <summary>Both independent readers see exactly the daemon's roster: values, and a delete (or nothing) for every other endpoint.</summary>
    private async Task ConvergeAsync(BridgeHarness harness, string bucket)
    {
        var expected = ExpectedRoster.From(harness.Node, harness.Daemon.Snapshot());
        RosterView? dotnet = null;
        RosterView? js = null;
        try
        {
            await Retry.Until(async () => expected.IsMatchedBy(dotnet = await KvLateSubscriber.ReadAsync(nats.Url, bucket, harness.Node)), Converge);
            await Retry.Until(async () => expected.IsMatchedBy(js = (await NodeKvClient.ReadAsync(nats.Url, bucket, harness.Node)).View(harness.Node)), Converge);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nNATS.Net KV: {dotnet}\nnats.js: {js}");
        }
    }

    private static BridgeOpts Kv(BridgeOpts opts, string bucket) =>
        opts with { Nats = opts.Nats! with { Mode = NatsMode.Kv, Bucket = bucket, Format = Payload.PayloadFormat.Json } };

    private static string Bucket() => $"roster_{Guid.NewGuid():N}"[..20];
}
