using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Tests.Peers;
using Xunit;

namespace RosterBridge.Tests.Nats;

/// <summary>KV mode's connect against a scripted server: the bucket read from the bytes a server answers, created with history 1 when missing.</summary>
public class NatsKvSinkConnectTests
{
    /// <summary>What nats-server answers for the stream of a bucket made by <c>nats kv add vmsig_roster --ttl 1m</c>.</summary>
    private const string BucketWithTtl =
        "{\"type\":\"io.nats.jetstream.api.v1.stream_info_response\",\"config\":{\"name\":\"KV_vmsig_roster\",\"subjects\":[\"$KV.vmsig_roster.>\"]," +
        "\"retention\":\"limits\",\"max_consumers\":-1,\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":60000000000,\"max_msgs_per_subject\":1," +
        "\"max_msg_size\":-1,\"discard\":\"new\",\"storage\":\"file\",\"num_replicas\":1,\"duplicate_window\":60000000000,\"compression\":\"none\"," +
        "\"allow_direct\":true,\"mirror_direct\":false,\"sealed\":false,\"deny_delete\":true,\"deny_purge\":false,\"allow_rollup_hdrs\":true}," +
        "\"created\":\"2026-01-01T00:00:00Z\",\"state\":{\"messages\":0,\"bytes\":0,\"first_seq\":0,\"last_seq\":0,\"consumer_count\":0}}";

    private const string NotFound =
        "{\"type\":\"io.nats.jetstream.api.v1.stream_info_response\",\"error\":{\"code\":404,\"err_code\":10059,\"description\":\"stream not found\"}}";

    private static NatsSink Sink(ScriptedNatsServer server) => new(
        new NatsSinkOpts { Url = new BrokerUrl("127.0.0.1", server.Port), PublishTimeout = TimeSpan.FromSeconds(3), Mode = NatsMode.Kv },
        "n1",
        NullLogger.Instance);

    [Fact]
    public async Task A_bucket_with_a_ttl_is_refused_naming_the_setting_its_value_and_Nats_Bucket_and_nothing_is_changed()
    {
        await using var server = new ScriptedNatsServer();
        server.Respond = (_, subject) => subject == "$JS.API.STREAM.INFO.KV_vmsig_roster" ? BucketWithTtl : null;

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var refused = await Assert.ThrowsAsync<SinkConfigException>(async () => await Sink(server).ConnectAsync(limit.Token));

        Assert.Contains("KV bucket vmsig_roster (Nats:Bucket; stream KV_vmsig_roster)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ttl (max_age) is 60s", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("discard", refused.Message, StringComparison.Ordinal); // a bucket's own discard new is fine
        server.Seen.Writer.Complete();
        var asked = new List<string>();
        await foreach (var message in server.Seen.Reader.ReadAllAsync(limit.Token))
        {
            asked.Add(message.Subject);
        }

        Assert.Contains("$JS.API.STREAM.INFO.KV_vmsig_roster", asked);
        Assert.DoesNotContain(asked, subject => subject.StartsWith("$JS.API.STREAM.", StringComparison.Ordinal) && !subject.StartsWith("$JS.API.STREAM.INFO.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_bucket_is_created_with_history_1_no_ttl_and_the_keys_subjects_then_the_bridge_says_online()
    {
        await using var server = new ScriptedNatsServer();
        server.Respond = (_, subject) => subject switch
        {
            "$JS.API.STREAM.INFO.KV_vmsig_roster" => NotFound,
            "$JS.API.STREAM.CREATE.KV_vmsig_roster" => ScriptedNatsServer.StreamInfo("KV_vmsig_roster", "$KV.vmsig_roster.>"),
            _ => null,
        };

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var session = await Sink(server).ConnectAsync(limit.Token);

        var create = await server.NextAsync(message => message.Subject == "$JS.API.STREAM.CREATE.KV_vmsig_roster");
        using var config = JsonDocument.Parse(create.Body);
        Assert.Equal("KV_vmsig_roster", config.RootElement.GetProperty("name").GetString());
        Assert.Equal("$KV.vmsig_roster.>", Assert.Single(config.RootElement.GetProperty("subjects").EnumerateArray()).GetString());
        Assert.Equal(1, config.RootElement.GetProperty("max_msgs_per_subject").GetInt64());
        Assert.Equal(0, config.RootElement.TryGetProperty("max_age", out var age) ? age.GetInt64() : 0);
        Assert.Equal("file", config.RootElement.GetProperty("storage").GetString());
        var online = await server.NextAsync(message => message.Subject == "vmsig.n1.bridge.status");
        Assert.Equal("online", online.Body);
    }
}
