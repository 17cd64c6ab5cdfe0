using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.Tls;
using Xunit;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>The NATS ways to log in that need a server of their own: mutual TLS, a token, an operator's .creds file.</summary>
public sealed class NatsOtherAuthTests
{
    [Fact]
    public async Task Mutual_tls_logs_in_as_the_certificates_subject_and_an_expired_certificate_is_named()
    {
        await using var server = new SecureNatsContainer(SecureNatsContainer.Setup.MutualTls);
        await server.InitializeAsync();
        var pki = server.Pki;
        var url = $"tls://{server.Host}:{server.Port}";

        await NatsSecurityTests.PublishAndReadBackAsync(NatsSecurityTests.Opts(url, new TlsFiles(pki.CaFile, pki.ClientCertFile, pki.ClientKeyFile), null, null), 6);

        var expired = await Assert.ThrowsAsync<TlsSetupException>(() =>
            NatsSecurityTests.ConnectAsync(NatsSecurityTests.Opts(url, new TlsFiles(pki.CaFile, pki.ExpiredClientCertFile, pki.ExpiredClientKeyFile), null, null)));
        Assert.Contains("Nats:CertFile", expired.Message, StringComparison.Ordinal);
        Assert.Contains("expired on", expired.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_and_a_token_file_log_in()
    {
        await using var server = new SecureNatsContainer(SecureNatsContainer.Setup.Token);
        await server.InitializeAsync();
        var url = $"tls://{server.Host}:{server.Port}";
        var ca = new TlsFiles(server.Pki.CaFile, null, null);
        var file = Path.Combine(server.Pki.Folder, "token");
        await File.WriteAllTextAsync(file, SecureNatsContainer.Token);

        await NatsSecurityTests.PublishAndReadBackAsync(NatsSecurityTests.Opts(url, ca, null, null) with { Token = new Secret(SecureNatsContainer.Token, null) }, 7);
        await NatsSecurityTests.PublishAndReadBackAsync(NatsSecurityTests.Opts(url, ca, null, null) with { Token = new Secret(null, file) }, 8);
    }

    [Fact]
    public async Task A_creds_file_logs_in_to_a_server_in_operator_mode()
    {
        await using var server = new SecureNatsContainer(SecureNatsContainer.Setup.Operator);
        await server.InitializeAsync();
        var opts = NatsSecurityTests.Opts($"tls://{server.Host}:{server.Port}", new TlsFiles(server.Pki.CaFile, null, null), null, null) with { CredsFile = server.CredsFile };

        await NatsSecurityTests.PublishAndReadBackAsync(opts, 9);
    }
}
