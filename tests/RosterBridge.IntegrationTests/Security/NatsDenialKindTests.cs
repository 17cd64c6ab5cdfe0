using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Tls;
using Xunit;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// nats-server refusing the bridge, as the sink runner lives it: each refusal has its kind, the
/// <c>kind</c> label of <c>rosterbridge_sink_problem</c> and <c>problem_kind</c> in <c>/readyz</c>.
/// </summary>
public sealed class NatsDenialKindTests(SecureNatsContainer server) : IClassFixture<SecureNatsContainer>
{
    [Theory]
    [InlineData("wrong-password", SinkProblem.Auth, "refused the credentials (user bridge-pve1)")]
    [InlineData("unknown-ca", SinkProblem.Tls, "is not signed by a CA in Nats:CaFile")]
    [InlineData("other-address", SinkProblem.Tls, "is not for 127.0.0.2")]
    [InlineData("acl", SinkProblem.Denied, "Permissions Violation for Publish")]
    public async Task Each_refusal_is_its_kind_of_problem(string setup, string kind, string cause)
    {
        var opts = NatsSecurityTests.Opts(
            setup == "other-address" ? $"tls://127.0.0.2:{server.Port}" : $"tls://{server.Host}:{server.Port}",
            new TlsFiles(setup == "unknown-ca" ? server.Pki.StrangerCaFile : server.Pki.CaFile, null, null),
            password: setup == "wrong-password" ? "wrong" : SecureNatsContainer.Password1);
        var outbox = new SinkOutbox();
        var runner = new SinkRunner(new NatsSink(opts, setup == "acl" ? "pve2" : "pve1", NullLogger.Instance), outbox, 4, opts.PublishTimeout,
            new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(800) }, NullLogger.Instance);
        var job = NatsSecurityTests.Job(5);
        outbox.Offer(job.Endpoint, job.State); // something to publish: node pve2's subject, which pve1's user may not
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);

        await Retry.Until(() => runner.ProblemKind == kind, TimeSpan.FromSeconds(30), $"a problem of kind {kind}");
        await stop.CancelAsync();
        await running;

        Assert.Contains(cause, runner.Problem, StringComparison.OrdinalIgnoreCase);
        Assert.False(runner.IsConnected);
    }
}
