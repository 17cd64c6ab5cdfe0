using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Roster;
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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_key_holds_exactly_the_bytes_the_stream_mode_entry_of_the_same_state_holds(bool json)
    {
        var format = json ? Payload.PayloadFormat.Json : Payload.PayloadFormat.MessagePack;
        // The same state published by a KV session and a stream session of the same node.
        var node = $"bytes-{Guid.NewGuid():N}"[..14];
        var kvOpts = new NatsSinkOpts { Url = new BrokerUrl(nats.Host, nats.Port), Mode = NatsMode.Kv, Bucket = Bucket(), Format = format, PublishTimeout = TimeSpan.FromSeconds(10) };
        var streamOpts = kvOpts with { Mode = NatsMode.Stream };
        var datum = new RosterDatum { Vmid = 607, State = 8, Action = (uint)RosterAction.Attach };
        datum.SetName("naïve-ünïcode");
        var job = new PublishJob(7, new SlotState(datum, RosterAction.Attach, 42, 1_764_000_000_123_456_789), 1, BrokerStateUnknown: true, 1);
        foreach (var opts in new[] { kvOpts, streamOpts })
        {
            await using var session = await new NatsSink(opts, node, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).ConnectAsync(CancellationToken.None);
            await session.ReadBackAsync(CancellationToken.None);
            Assert.True(await session.PublishAsync(job, CancellationToken.None));
        }

        var key = Assert.Single(await NatsRosterReader.ReadLastAsync(kvOpts, node, CancellationToken.None));
        var subject = Assert.Single(await NatsRosterReader.ReadLastAsync(streamOpts, node, CancellationToken.None));
        Assert.Equal($"{node}.7", key.Subject);
        Assert.Equal($"vmsig.{node}.roster.7", subject.Subject);
        Assert.NotEmpty(key.Body);
        Assert.Equal(subject.Body, key.Body);
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
