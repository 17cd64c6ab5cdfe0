using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tls;
using Xunit;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// The NATS sink against nats-server with TLS and the example users and permissions
/// (config/nats/): the ways NATS users authenticate connect and publish, the failures say what they
/// are, and a bridge cannot write outside its node.
/// </summary>
public sealed class NatsSecurityTests(SecureNatsContainer server) : IClassFixture<SecureNatsContainer>
{
    internal static PublishJob Job(int endpoint) =>
        new(endpoint, new SlotState(new RosterDatum { Vmid = 100u + (uint)endpoint, State = 3 }, RosterAction.Attach, 1, 1), 1, BrokerStateUnknown: true, 1);

    internal static NatsSinkOpts Opts(string url, TlsFiles tls, string? user = "bridge-pve1", string? password = SecureNatsContainer.Password1) => new()
    {
        Url = BrokerUrl.TryParse(url, "nats", out var parsed) ? parsed : throw new ArgumentException(url),
        Username = user,
        Password = password is null ? null : new Secret(password, null),
        Tls = tls,
        PublishTimeout = TimeSpan.FromSeconds(5),
    };

    internal static async Task<BrokerSession> ConnectAsync(NatsSinkOpts opts, string node = "pve1")
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await new NatsSink(opts, node, NullLogger.Instance).ConnectAsync(limit.Token);
    }

    internal static async Task PublishAndReadBackAsync(NatsSinkOpts opts, int endpoint)
    {
        await using var session = await ConnectAsync(opts);
        await session.ReadBackAsync(CancellationToken.None);
        Assert.True(await session.PublishAsync(Job(endpoint), CancellationToken.None));
        await session.ReadBackAsync(CancellationToken.None);
        Assert.True(session.Held.Count >= 1, "the entry published over TLS was read back");
    }

    private TlsFiles Ca => new(server.Pki.CaFile, null, null);

    private string Tls => $"tls://{server.Host}:{server.Port}";

    [Fact]
    public async Task Tls_with_a_private_ca_and_a_password_connects_publishes_and_reads_back()
    {
        await PublishAndReadBackAsync(Opts(Tls, Ca), 1);
    }

    [Fact]
    public async Task A_nats_url_follows_a_server_that_requires_tls()
    {
        await PublishAndReadBackAsync(Opts($"nats://{server.Host}:{server.Port}", Ca), 2);
    }

    [Fact]
    public async Task A_password_file_and_an_nkey_seed_file_log_in()
    {
        var file = Path.Combine(server.Pki.Folder, "nats-password");
        await File.WriteAllTextAsync(file, SecureNatsContainer.Password1 + "\n");
        await PublishAndReadBackAsync(Opts(Tls, Ca, password: null) with { Password = new Secret(null, file) }, 3);
        await PublishAndReadBackAsync(Opts(Tls, Ca, user: null, password: null) with { NKeyFile = server.NKeySeedFile }, 4);
    }

    [Fact]
    public async Task A_wrong_password_is_a_denial()
    {
        var refused = await Assert.ThrowsAsync<BrokerDeniedException>(() => ConnectAsync(Opts(Tls, Ca, password: "wrong")));
        Assert.Contains("refused the credentials (user bridge-pve1)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_certificate_from_a_ca_not_in_the_bundle_is_refused_saying_so()
    {
        var refused = await Assert.ThrowsAsync<BrokerDeniedException>(() => ConnectAsync(Opts(Tls, new TlsFiles(server.Pki.StrangerCaFile, null, null))));
        Assert.Contains("is not signed by a CA in Nats:CaFile", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_certificate_for_another_address_is_refused_naming_both()
    {
        // 127.0.0.2 reaches the same server on Linux's loopback, but the certificate names 127.0.0.1 and localhost.
        var refused = await Assert.ThrowsAsync<BrokerDeniedException>(() => ConnectAsync(Opts($"tls://127.0.0.2:{server.Port}", Ca)));
        Assert.Contains("is not for 127.0.0.2", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_node_pve1s_credentials_node_pve2s_subjects_are_refused_by_the_server()
    {
        await using var session = await ConnectAsync(Opts(Tls, Ca), node: "pve2");
        await session.ReadBackAsync(CancellationToken.None); // the stream is shared: reading its info is allowed

        await Assert.ThrowsAnyAsync<Exception>(() => session.PublishAsync(Job(5), CancellationToken.None));
        Assert.Contains("Permissions Violation for Publish to \"vmsig.pve2.", session.Denial, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>TLS to a NATS server that has none: the error says it.</summary>
public sealed class NatsPlaintextServerTests(NatsContainer server) : IClassFixture<NatsContainer>
{
    [Fact]
    public async Task Tls_to_a_plaintext_server_says_the_server_has_no_tls()
    {
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => NatsSecurityTests.ConnectAsync(NatsSecurityTests.Opts($"tls://{server.Host}:{server.Port}", TlsFiles.None, null, null)));
        Assert.Contains("does the server speak TLS", failed.Message, StringComparison.Ordinal);
    }
}
