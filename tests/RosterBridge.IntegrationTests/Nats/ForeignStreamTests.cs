using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using Xunit;

namespace RosterBridge.IntegrationTests.Nats;

/// <summary>
/// A stream someone else created, against a real nats-server: every setting that can lose,
/// expire, block or reorder a roster entry is refused with a message naming it and its value, and
/// the stream is left exactly as it was.
/// </summary>
public sealed class ForeignStreamTests(NatsContainer nats) : IClassFixture<NatsContainer>
{
    private const string Node = "pve7";

    public static TheoryData<string, string> Settings => new()
    {
        { "max_age", "max_age is 60s" },
        { "max_msgs", "max_msgs is 1000" },
        { "max_bytes", "max_bytes is 1048576" },
        { "max_msg_size", "max_msg_size is 100" },
        { "discard", "discard is new" },
        { "retention interest", "retention is interest" },
        { "retention workqueue", "retention is workqueue" },
        { "sealed", "sealed is true" },
        { "deny_delete", "deny_delete is true" },
        { "no_ack", "no_ack is true" },
        { "max_msgs_per_subject", "max_msgs_per_subject is 5" },
        { "subjects", "do not cover" },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public async Task A_stream_that_could_lose_the_roster_is_refused_naming_the_setting_and_left_unchanged(string setting, string expected)
    {
        var (stream, prefix) = Names();
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() });
        var js = new NatsJSContext(connection);
        var config = new StreamConfig(stream, [$"{prefix}.*.roster.*"]) { MaxMsgsPerSubject = 1 };
        switch (setting)
        {
            case "max_age": config.MaxAge = TimeSpan.FromMinutes(1); break;
            case "max_msgs": config.MaxMsgs = 1000; break;
            case "max_bytes": config.MaxBytes = 1024 * 1024; break;
            case "max_msg_size": config.MaxMsgSize = 100; break;
            case "discard": config.Discard = StreamConfigDiscard.New; config.MaxMsgs = -1; break;
            case "retention interest": config.Retention = StreamConfigRetention.Interest; break;
            case "retention workqueue": config.Retention = StreamConfigRetention.Workqueue; break;
            case "deny_delete": config.DenyDelete = true; break;
            case "no_ack": config.NoAck = true; break;
            case "max_msgs_per_subject": config.MaxMsgsPerSubject = 5; break;
            case "subjects": config.Subjects = [$"{prefix}.elsewhere.roster.*"]; break;
        }

        await js.CreateStreamAsync(config);
        if (setting == "sealed")
        {
            config.Sealed = true; // a stream can only be sealed once it exists
            await js.UpdateStreamAsync(config);
        }

        var before = (await js.GetStreamAsync(stream)).Info.Config;

        var refused = await Assert.ThrowsAsync<SinkConfigException>(async () => await Sink(stream, prefix).ConnectAsync(CancellationToken.None));

        Assert.Contains($"stream {stream} exists", refused.Message, StringComparison.Ordinal);
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        var after = (await js.GetStreamAsync(stream)).Info.Config;
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(before), System.Text.Json.JsonSerializer.Serialize(after));
    }

    [Fact]
    public async Task A_mirror_is_refused()
    {
        var (stream, prefix) = Names();
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() });
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig($"{stream}_ORIGIN", [$"{prefix}.*.roster.*"]) { MaxMsgsPerSubject = 1 });
        await js.CreateStreamAsync(new StreamConfig { Name = stream, MaxMsgsPerSubject = 1, Mirror = new StreamSource { Name = $"{stream}_ORIGIN" } });

        var refused = await Assert.ThrowsAsync<SinkConfigException>(async () => await Sink(stream, prefix).ConnectAsync(CancellationToken.None));

        Assert.Contains($"mirror is {stream}_ORIGIN", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_as_the_bridge_needs_it_is_accepted_and_a_setting_changed_under_a_running_bridge_is_refused_at_the_next_read_back()
    {
        var (stream, prefix) = Names();
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() });
        var js = new NatsJSContext(connection);
        var config = new StreamConfig(stream, [$"{prefix}.>"]) { MaxMsgsPerSubject = 1, Storage = StreamConfigStorage.Memory };
        await js.CreateStreamAsync(config);
        await using var session = await Sink(stream, prefix).ConnectAsync(CancellationToken.None);
        await session.ReadBackAsync(CancellationToken.None);

        config.MaxAge = TimeSpan.FromHours(1);
        await js.UpdateStreamAsync(config);

        var refused = await Assert.ThrowsAsync<SinkConfigException>(() => session.ReadBackAsync(CancellationToken.None));
        Assert.Contains("max_age is 3600s", refused.Message, StringComparison.Ordinal);
    }

    private static (string Stream, string Prefix) Names()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        return ($"FOREIGN_{id}", $"foreign{id}");
    }

    private NatsSink Sink(string stream, string prefix) => new(
        new NatsSinkOpts { Url = new BrokerUrl(nats.Host, nats.Port), Stream = stream, SubjectPrefix = prefix, PublishTimeout = TimeSpan.FromSeconds(10) },
        Node,
        NullLogger.Instance);
}
