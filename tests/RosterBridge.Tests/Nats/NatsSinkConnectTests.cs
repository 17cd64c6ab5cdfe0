using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.Nats;
using RosterBridge.Tests.Peers;
using Xunit;

namespace RosterBridge.Tests.Nats;

/// <summary>The NATS sink's connect against a scripted server: every connect is a whole one.</summary>
public class NatsSinkConnectTests
{
    private static NatsSink Sink(ScriptedNatsServer server) => new(
        new NatsSinkOpts { Url = new BrokerUrl("127.0.0.1", server.Port), PublishTimeout = TimeSpan.FromSeconds(3) },
        "n1",
        NullLogger.Instance);

    [Fact]
    public async Task After_a_connect_whose_stream_check_timed_out_the_next_connect_checks_the_stream_and_says_online()
    {
        // The first time, the stream check gets no answer; after that, the stream is as required.
        await using var server = new ScriptedNatsServer();
        var asked = 0;
        server.Respond = (_, subject) => subject == "$JS.API.STREAM.INFO.VMSIG_ROSTER" && Interlocked.Increment(ref asked) > 1
            ? ScriptedNatsServer.StreamInfo("VMSIG_ROSTER", "vmsig.*.roster.*")
            : null;
        var sink = Sink(server);

        // Each connect with a time limit, as the runner gives it.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<NATS.Client.JetStream.NatsJSApiNoResponseException>(async () => await sink.ConnectAsync(limit.Token));
        await using var session = await sink.ConnectAsync(limit.Token);

        await server.NextAsync(message => message.Subject == "$JS.API.STREAM.INFO.VMSIG_ROSTER");
        await server.NextAsync(message => message.Subject == "$JS.API.STREAM.INFO.VMSIG_ROSTER");
        var online = await server.NextAsync(message => message.Subject == "vmsig.n1.bridge.status");
        Assert.Equal("online", online.Body);
    }
}
