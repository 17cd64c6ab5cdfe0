using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using RosterBridge.Cli;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Nats;

/// <summary>
/// KV mode from the command line against a real nats-server: <c>run</c> refuses a foreign bucket that
/// could lose entries (exit code 2, the setting and its value named, the bucket unchanged), and
/// <c>show</c>, <c>check</c> and <c>watch</c> read the bucket.
/// </summary>
public sealed class KvCommandsTests(NatsContainer nats, ITestOutputHelper output) : IClassFixture<NatsContainer>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(45);

    private string Url => $"nats://{nats.Host}:{nats.Port}";

    [Fact]
    public async Task Run_refuses_a_foreign_bucket_with_a_ttl_with_exit_code_2_naming_it_and_leaves_it_unchanged()
    {
        var bucket = Bucket();
        await using var connection = new NatsConnection(new NatsOpts { Url = Url });
        var js = new NatsJSContext(connection);
        await new NatsKVContext(js).CreateStoreAsync(new NatsKVConfig(bucket) { MaxAge = TimeSpan.FromMinutes(1) });
        var before = JsonSerializer.Serialize((await js.GetStreamAsync($"KV_{bucket}")).Info.Config);

        await using var process = BridgeProcess.Start(["run", "--Health:Port=0"], new Dictionary<string, string>
        {
            ["ROSTERBRIDGE_NODE"] = "pve5",
            ["ROSTERBRIDGE_DAEMON__ENDPOINT"] = $"unix://{Path.Combine(Path.GetTempPath(), $"no-daemon-{Guid.NewGuid():N}.sock")}",
            ["ROSTERBRIDGE_MQTT__URL"] = "off",
            ["ROSTERBRIDGE_NATS__URL"] = Url,
            ["ROSTERBRIDGE_NATS__MODE"] = "kv",
            ["ROSTERBRIDGE_NATS__BUCKET"] = bucket,
        });

        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(process.Output);
        Assert.Equal(2, code);
        Assert.Contains($"KV bucket {bucket} (Nats:Bucket; stream KV_{bucket}) exists but can lose or refuse roster entries", process.Output, StringComparison.Ordinal);
        Assert.Contains("ttl (max_age) is 60s", process.Output, StringComparison.Ordinal);
        Assert.Equal(before, JsonSerializer.Serialize((await js.GetStreamAsync($"KV_{bucket}")).Info.Config));
    }

    [Fact]
    public async Task Show_check_and_watch_read_the_bucket()
    {
        var bucket = Bucket();
        await using var harness = new BridgeHarness(mosquitto: null, nats, output, "kvcli");
        var node = harness.Node;
        harness.Daemon.Attach(1, 401, "shown", state: 3);
        harness.Daemon.Attach(2, 402, "gone", state: 3);
        await harness.StartDaemonAsync();
        harness.StartBridge(opts => opts with { Nats = opts.Nats! with { Mode = NatsMode.Kv, Bucket = bucket, Format = Payload.PayloadFormat.Json } });
        await Retry.Until(async () => (await KvLateSubscriber.ReadAsync(nats.Url, bucket, node)) is { Entries.Count: 2 }, Converge);
        harness.Daemon.Detach(2);
        await Retry.Until(async () => (await KvLateSubscriber.ReadAsync(nats.Url, bucket, node)) is { Entries.Count: 1, Deleted.Count: 1 }, Converge);

        var keys = new Dictionary<string, string?>
        {
            ["Node"] = node, ["Daemon:Endpoint"] = harness.Daemon.Endpoint.ToString(), ["Nats:Url"] = Url, ["Nats:Mode"] = "kv", ["Nats:Bucket"] = bucket,
            ["Nats:Format"] = "json",
        };
        var shown = new StringWriter();
        var errors = new StringWriter();
        Assert.Equal(0, await ShowCommand.RunAsync(new Dictionary<string, string?>(keys) { ["Mqtt:Url"] = "off" }, shown, errors, CancellationToken.None));
        output.WriteLine(shown.ToString());
        Assert.Contains($"KV bucket {bucket} keys {node}.>: 1 entries and 1 deletes", shown.ToString(), StringComparison.Ordinal);
        Assert.Contains($"  {node}.1  {{", shown.ToString(), StringComparison.Ordinal);
        Assert.Contains($"  {node}.2  (deleted: KV-Operation: DEL)", shown.ToString(), StringComparison.Ordinal);

        var checkedOut = new StringWriter();
        Assert.Equal(0, await CheckCommand.RunAsync(new Dictionary<string, string?>(keys) { ["Mqtt:Url"] = "off" }, checkedOut, CancellationToken.None));
        output.WriteLine(checkedOut.ToString());
        Assert.Contains($"KV bucket {bucket} fit for the roster, 2 keys of node {node}", checkedOut.ToString(), StringComparison.Ordinal);

        var inner = new StringWriter();
        var watched = TextWriter.Synchronized(inner);
        string Watched()
        {
            lock (watched)
            {
                return inner.ToString();
            }
        }

        using var stop = new CancellationTokenSource();
        var watching = WatchCommand.RunAsync(keys, plain: true, watched, TextWriter.Null, stop.Token);
        await Retry.Until(() => Watched().Contains($"{node}/1 running vmid=401 name=\"shown\"", StringComparison.Ordinal), Converge);
        harness.Daemon.Detach(1);
        await Retry.Until(() => Watched().Contains($"{node}/1 vacant", StringComparison.Ordinal), Converge);
        await stop.CancelAsync();
        Assert.Equal(0, await watching.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain($"{node}/2 ", Watched(), StringComparison.Ordinal); // deleted before the watch began
    }

    private static string Bucket() => $"cli_{Guid.NewGuid():N}"[..20];
}
