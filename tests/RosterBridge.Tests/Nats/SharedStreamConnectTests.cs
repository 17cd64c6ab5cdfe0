using System.Text.Json;
using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Nats;
using RosterBridge.Tests.Health;
using RosterBridge.Tests.Peers;
using Xunit;

namespace RosterBridge.Tests.Nats;

/// <summary>
/// The stream every node's bridge shares, as a connect makes or finds it: made for every node's
/// subjects with the replicas asked, taken as found when another node's bridge made it first.
/// </summary>
public class SharedStreamConnectTests
{
    private const string Info = "$JS.API.STREAM.INFO.VMSIG_ROSTER";
    private const string Create = "$JS.API.STREAM.CREATE.VMSIG_ROSTER";
    private const string NotFound = "{\"type\":\"io.nats.jetstream.api.v1.stream_info_response\",\"error\":{\"code\":404,\"err_code\":10059,\"description\":\"stream not found\"}}";
    private const string NameInUse = "{\"type\":\"io.nats.jetstream.api.v1.stream_create_response\",\"error\":{\"code\":400,\"err_code\":10058,\"description\":\"stream name already in use with a different configuration\"}}";

    private static NatsSink Sink(ScriptedNatsServer server, ILogger log, int replicas) => new(
        new NatsSinkOpts { Url = new BrokerUrl("127.0.0.1", server.Port), PublishTimeout = TimeSpan.FromSeconds(3), Replicas = replicas },
        "n1",
        log);

    [Fact]
    public async Task A_bridge_that_finds_no_stream_makes_one_for_every_nodes_subjects_with_the_replicas_asked()
    {
        await using var server = new ScriptedNatsServer();
        server.Respond = (_, subject) => subject switch
        {
            Info => NotFound,
            Create => ScriptedNatsServer.StreamInfo("VMSIG_ROSTER", "vmsig.*.roster.*"),
            _ => null,
        };
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await using var session = await Sink(server, new ListLogger(), replicas: 3).ConnectAsync(limit.Token);

        var create = await server.NextAsync(message => message.Subject == Create);
        using var config = JsonDocument.Parse(create.Body);
        Assert.Equal(["vmsig.*.roster.*"], config.RootElement.GetProperty("subjects").EnumerateArray().Select(subject => subject.GetString()));
        Assert.Equal(3, config.RootElement.GetProperty("num_replicas").GetInt32());
        Assert.Equal(1, config.RootElement.GetProperty("max_msgs_per_subject").GetInt32());
    }

    [Fact]
    public async Task A_stream_another_bridge_made_first_is_checked_and_used_and_fewer_replicas_are_a_warning()
    {
        // Our look finds nothing, our create loses the race to a bridge with other settings (R1).
        await using var server = new ScriptedNatsServer();
        var looks = 0;
        server.Respond = (_, subject) => subject switch
        {
            Info => Interlocked.Increment(ref looks) == 1 ? NotFound : ScriptedNatsServer.StreamInfo("VMSIG_ROSTER", "vmsig.*.roster.*"),
            Create => NameInUse,
            _ => null,
        };
        var log = new ListLogger();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await using var session = await Sink(server, log, replicas: 3).ConnectAsync(limit.Token);

        var online = await server.NextAsync(message => message.Subject == "vmsig.n1.bridge.status");
        Assert.Equal("online", online.Body);
        var warning = Assert.Single(log.Lines, line => line.Level == LogLevel.Warning);
        Assert.Contains("has 1 replica(s) and Nats:Replicas asks 3", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_replica_warning_is_said_once_not_at_every_reconnect()
    {
        await using var server = new ScriptedNatsServer();
        server.Respond = (_, subject) => subject == Info ? ScriptedNatsServer.StreamInfo("VMSIG_ROSTER", "vmsig.*.roster.*") : null;
        var log = new ListLogger();
        var sink = Sink(server, log, replicas: 2);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        for (var connect = 0; connect < 3; connect++)
        {
            await using var session = await sink.ConnectAsync(limit.Token);
        }

        Assert.Single(log.Lines, line => line.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_stream_the_cluster_cannot_place_with_the_replicas_asked_is_a_connect_to_retry_said_in_words()
    {
        await using var server = new ScriptedNatsServer();
        server.Respond = (_, subject) => subject switch
        {
            Info => NotFound,
            Create => "{\"type\":\"io.nats.jetstream.api.v1.stream_create_response\",\"error\":{\"code\":500,\"err_code\":10005,\"description\":\"no suitable peers for placement\"}}",
            _ => null,
        };
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var ex = await Assert.ThrowsAsync<IOException>(async () => await Sink(server, new ListLogger(), replicas: 3).ConnectAsync(limit.Token));

        Assert.Contains("cannot create stream VMSIG_ROSTER with 3 replica(s) (no suitable peers for placement)", ex.Message, StringComparison.Ordinal);
    }
}
