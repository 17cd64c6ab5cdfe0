using System.Net.Sockets;
using System.Security.Authentication;
using RosterBridge.Outbox;
using RosterBridge.Outbox.Internal;
using RosterBridge.Tls;
using Xunit;

namespace RosterBridge.Tests.Outbox;

/// <summary>The kind of a sink's problem, from the failures the sinks raise (worded as Mqtt/MqttConnect.cs and Nats/NatsConnect.cs word them).</summary>
public sealed class SinkProblemKindTests
{
    public static TheoryData<Exception, bool, bool, string> Failures() => new()
    {
        { new BrokerDeniedException("mqtts://b:8883 refused the credentials: bad user name or password (Mqtt:Username, Mqtt:Password/PasswordFile)"), false, true, SinkProblem.Auth },
        { new BrokerDeniedException("nats://b:4222 refused the credentials (Nats:Token): Authorization Violation"), false, true, SinkProblem.Auth },
        { new BrokerDeniedException("Nats:NKeyFile '/x' holds no user seed (a line starting SU)"), false, true, SinkProblem.Auth },
        { new BrokerDeniedException("mqtts://b:8883: TLS refused: the certificate is not signed by a CA in Mqtt:CaFile", new AuthenticationException("remote certificate")), false, true, SinkProblem.Tls },
        { new BrokerDeniedException("the broker does not allow publishing to vmsig/pve2/bridge/status (NotAuthorized): check its ACL for this user"), false, false, SinkProblem.Denied },
        { new IOException("mqtts://b:8883: the TLS handshake failed (x): is that port plaintext (mqtt://)?"), false, true, SinkProblem.Tls },
        { new TlsSetupException("Mqtt:CertFile '/c.pem' has expired"), false, true, SinkProblem.Tls },
        { new InvalidOperationException("wrapped", new AuthenticationException("handshake")), false, true, SinkProblem.Tls },
        { new SocketException((int)SocketError.ConnectionRefused), false, true, SinkProblem.Unreachable },
        { new TimeoutException(), false, true, SinkProblem.Unreachable },
        { new TimeoutException(), false, false, SinkProblem.Lost },
        { new IOException("connection reset"), false, false, SinkProblem.Lost },
        { new IOException("Permissions Violation for Publish to vmsig.pve2.roster.1"), true, false, SinkProblem.Denied },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_has_its_kind(Exception error, bool sessionDenied, bool connecting, string kind) =>
        Assert.Equal(kind, SinkProblemKind.Of(error, sessionDenied, connecting));

    [Fact]
    public void Every_kind_is_a_label_value_Prometheus_takes()
    {
        Assert.Equal(SinkProblem.Kinds.Count, SinkProblem.Kinds.Distinct().Count());
        Assert.All(SinkProblem.Kinds, kind => Assert.Matches("^[a-z_]+$", kind));
    }
}
