using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.Mqtt;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tls;
using Xunit;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// The MQTT sink against mosquitto with TLS, passwords and the example ACL: every transport and
/// authentication mode connects and publishes, every failure a user must understand says what it is,
/// and a bridge cannot write outside its node.
/// </summary>
public sealed class MqttSecurityTests(SecureMosquittoContainer broker) : IClassFixture<SecureMosquittoContainer>
{
    private static readonly PublishJob Job = new(3, new SlotState(new RosterDatum { Vmid = 103, State = 3 }, RosterAction.Attach, 1, 1), 1, BrokerStateUnknown: false, 1);

    private TestPki Pki => broker.Pki;

    private MqttSinkOpts Opts(string url, string? user = "bridge-pve1", string? password = SecureMosquittoContainer.Password1, TlsFiles? tls = null) => new()
    {
        Url = BrokerUrl.TryParse(url, "mqtt", out var parsed) ? parsed : throw new ArgumentException(url),
        ClientId = $"rb-test-{Guid.NewGuid():N}",
        Username = user,
        Password = password is null ? null : new Secret(password, null),
        Tls = tls ?? new TlsFiles(Pki.CaFile, null, null),
        PublishTimeout = TimeSpan.FromSeconds(5),
    };

    private static async Task<BrokerSession> ConnectAsync(MqttSinkOpts opts, string node = "pve1")
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await new MqttSink(opts, node, NullLogger.Instance).ConnectAsync(limit.Token);
    }

    private static async Task PublishAndReadBackAsync(MqttSinkOpts opts)
    {
        await using (var session = await ConnectAsync(opts))
        {
            Assert.True(await session.PublishAsync(Job, CancellationToken.None));
        }

        await using var again = await ConnectAsync(opts);
        await again.ReadBackAsync(CancellationToken.None);
        Assert.True(again.Held.Count >= 1, "the entry published over TLS was read back");
    }

    [Fact]
    public async Task Tls_with_a_private_ca_and_a_password_connects_publishes_and_reads_back()
    {
        await PublishAndReadBackAsync(Opts($"mqtts://{broker.Host}:{broker.Port}"));
    }

    [Fact]
    public async Task A_password_from_a_file_works_as_a_container_secret_does()
    {
        var file = Path.Combine(Pki.Folder, "mqtt-password");
        await File.WriteAllTextAsync(file, SecureMosquittoContainer.Password1 + "\n");
        await PublishAndReadBackAsync(Opts($"mqtts://{broker.Host}:{broker.Port}", password: null) with { Password = new Secret(null, file) });
    }

    [Fact]
    public async Task Mutual_tls_logs_in_as_the_certificates_name_without_a_password()
    {
        await PublishAndReadBackAsync(Opts($"mqtts://{broker.Host}:{broker.MutualTlsPort}", user: null, password: null,
            tls: new TlsFiles(Pki.CaFile, Pki.ClientCertFile, Pki.ClientKeyFile)));
    }

    [Fact]
    public async Task A_wrong_password_is_a_denial_that_names_the_credentials()
    {
        var refused = await Assert.ThrowsAsync<BrokerDeniedException>(() => ConnectAsync(Opts($"mqtts://{broker.Host}:{broker.Port}", password: "wrong")));
        Assert.Contains("refused the credentials", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_from_an_unknown_ca_is_refused_saying_so()
    {
        var refused = await Assert.ThrowsAsync<BrokerDeniedException>(() => ConnectAsync(Opts($"mqtts://{broker.Host}:{broker.StrangerCaPort}")));
        Assert.Contains("is not signed by a CA in Mqtt:CaFile", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_for_another_host_is_refused_naming_both()
    {
        var refused = await Assert.ThrowsAsync<BrokerDeniedException>(() => ConnectAsync(Opts($"mqtts://{broker.Host}:{broker.OtherHostPort}")));
        Assert.Contains($"is not for {broker.Host} (it is for broker.example.org)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plaintext_to_a_tls_port_says_it_may_be_one()
    {
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(Opts($"mqtt://{broker.Host}:{broker.Port}", tls: TlsFiles.None)));
        Assert.Contains("a TLS port (mqtts://)", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_to_a_plaintext_port_says_it_may_be_one()
    {
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(Opts($"mqtts://{broker.Host}:{broker.PlainPort}")));
        Assert.Contains("plaintext (mqtt://)", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_client_certificate_is_named_before_anything_is_sent()
    {
        var refused = await Assert.ThrowsAsync<TlsSetupException>(() => ConnectAsync(Opts($"mqtts://{broker.Host}:{broker.MutualTlsPort}", user: null, password: null,
            tls: new TlsFiles(Pki.CaFile, Pki.ExpiredClientCertFile, Pki.ExpiredClientKeyFile))));
        Assert.Contains("Mqtt:CertFile", refused.Message, StringComparison.Ordinal);
        Assert.Contains("expired on", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_node_pve1s_credentials_node_pve2s_topics_are_refused_by_the_broker()
    {
        var refused = await Assert.ThrowsAsync<BrokerDeniedException>(() => ConnectAsync(Opts($"mqtts://{broker.Host}:{broker.Port}"), node: "pve2"));
        Assert.Contains("does not allow publishing to vmsig/pve2/bridge/status", refused.Message, StringComparison.Ordinal);
    }
}
