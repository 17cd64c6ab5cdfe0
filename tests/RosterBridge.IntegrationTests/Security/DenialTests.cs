using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Mqtt;
using RosterBridge.Outbox;
using RosterBridge.Tls;
using Xunit;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// A broker that refuses the bridge, as the sink runner lives it: the problem is shown as a
/// denial (what /readyz reports for the sink) and retried with the backoff, never in a loop.
/// </summary>
public sealed class DenialTests(SecureMosquittoContainer broker) : IClassFixture<SecureMosquittoContainer>
{
    /// <summary>Counts the connects it passes on.</summary>
    private sealed class CountingSink(RosterSink inner) : RosterSink
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public override string Name => inner.Name;

        public override string Target => inner.Target;

        public override Task<BrokerSession> ConnectAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            return inner.ConnectAsync(cancellationToken);
        }
    }

    [Theory]
    [InlineData("wrong-password", "denied: ", "refused the credentials", SinkProblem.Auth)]
    [InlineData("unknown-ca", "denied: ", "is not signed by a CA in Mqtt:CaFile", SinkProblem.Tls)]
    [InlineData("acl", "denied: ", "does not allow publishing to vmsig/pve2/bridge/status", SinkProblem.Denied)]
    public async Task A_refusing_broker_is_reported_as_a_denial_and_retried_with_the_backoff(string setup, string prefix, string cause, string kind)
    {
        var opts = new MqttSinkOpts
        {
            Url = new BrokerUrl(broker.Host, setup == "unknown-ca" ? broker.StrangerCaPort : broker.Port, Tls: true),
            ClientId = $"rb-denied-{Guid.NewGuid():N}",
            Username = "bridge-pve1",
            Password = new Secret(setup == "wrong-password" ? "wrong" : SecureMosquittoContainer.Password1, null),
            Tls = new TlsFiles(broker.Pki.CaFile, null, null),
            PublishTimeout = TimeSpan.FromSeconds(5),
        };
        var sink = new CountingSink(new MqttSink(opts, setup == "acl" ? "pve2" : "pve1", NullLogger.Instance));
        var runner = new SinkRunner(sink, new SinkOutbox(), 4, opts.PublishTimeout,
            new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(800) }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);

        await Retry.Until(() => runner.Problem is not null, TimeSpan.FromSeconds(20));
        var attemptsThen = sink.Attempts;
        var since = DateTime.UtcNow;
        await Retry.Until(() => sink.Attempts >= attemptsThen + 3, TimeSpan.FromSeconds(20), "three more attempts");
        var perAttempt = (DateTime.UtcNow - since) / 3;
        await stop.CancelAsync();
        await running;

        Assert.StartsWith(prefix, runner.Problem, StringComparison.Ordinal);
        Assert.Contains(cause, runner.Problem, StringComparison.Ordinal);
        Assert.Equal(kind, runner.ProblemKind); // the kind label of rosterbridge_sink_problem, problem_kind in /readyz
        Assert.False(runner.IsConnected);
        // The backoff's ceiling doubles from 100 ms: by the fourth try the delays are hundreds of ms, not a loop.
        Assert.True(perAttempt >= TimeSpan.FromMilliseconds(100), $"attempts {perAttempt.TotalMilliseconds:F0} ms apart");
    }
}
