using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using RosterBridge.Config;

namespace RosterBridge.Tls;

/// <summary>
/// One TLS connect's view of its certificates: the CA bundle to trust (or the system's store), the
/// client certificate, and the check of the broker's certificate, which keeps in
/// <see cref="Problem"/> why it refused one, so that the failure can say it in words. Made anew at
/// every connect: files replaced on disk (a renewed certificate) are taken without a restart.
/// </summary>
internal sealed class TlsTrust : IDisposable
{
    private readonly X509Certificate2Collection? _authorities;
    private readonly string _caSource;

    private TlsTrust(X509Certificate2Collection? authorities, X509Certificate2? clientCertificate, string caSource)
    {
        _authorities = authorities;
        ClientCertificate = clientCertificate;
        _caSource = caSource;
    }

    /// <summary>The client certificate for mutual TLS, or null.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>Why the last broker certificate was refused; null when none was.</summary>
    public string? Problem { get; private set; }

    /// <summary>Reads the files; throws <see cref="TlsSetupException"/> naming the key when one cannot be used.</summary>
    /// <param name="section">"Mqtt" or "Nats", for the keys in messages.</param>
    public static TlsTrust Load(TlsFiles files, string section, TimeProvider time)
    {
        X509Certificate2Collection? authorities = null;
        if (files.CaFile is { } caFile)
        {
            authorities = [];
            try
            {
                authorities.ImportFromPemFile(caFile);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new TlsSetupException($"{section}:CaFile '{caFile}' cannot be read as PEM certificates: {ex.Message}", ex);
            }

            if (authorities.Count == 0)
            {
                throw new TlsSetupException($"{section}:CaFile '{caFile}' holds no PEM certificate");
            }
        }

        X509Certificate2? client = null;
        if (files.CertFile is { } certFile && files.KeyFile is { } keyFile)
        {
            try
            {
                client = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new TlsSetupException($"{section}:CertFile '{certFile}' with {section}:KeyFile '{keyFile}' is not a usable certificate and key: {ex.Message}", ex);
            }

            var now = time.GetUtcNow().UtcDateTime;
            var (notBefore, notAfter) = (client.NotBefore.ToUniversalTime(), client.NotAfter.ToUniversalTime());
            if (notAfter < now || notBefore > now)
            {
                client.Dispose();
                throw new TlsSetupException(notAfter < now
                    ? $"the client certificate {section}:CertFile '{certFile}' expired on {notAfter:yyyy-MM-dd HH:mm} UTC; the broker would refuse it"
                    : $"the client certificate {section}:CertFile '{certFile}' is valid only from {notBefore:yyyy-MM-dd HH:mm} UTC");
            }
        }

        return new TlsTrust(authorities, client, files.CaFile is null ? "the system's trusted CAs" : $"{section}:CaFile");
    }

    /// <summary>
    /// Checks the broker's certificate: the host name (as the TLS stack found it), then the chain,
    /// against the CA bundle when there is one. Revocation is not checked: a private CA has no CRL
    /// a sidecar could reach.
    /// </summary>
    public bool Validate(string host, X509Certificate? certificate, SslPolicyErrors errors)
    {
        Problem = null;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            Problem = "the broker sent no certificate";
            return false;
        }

        using var broker = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            Problem = $"the broker's certificate is not for {host} (it is for {Names(broker)})";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (_authorities is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        }

        if (chain.Build(broker))
        {
            return true;
        }

        var statuses = chain.ChainStatus.Select(status => status.Status).ToHashSet();
        Problem = statuses.Contains(X509ChainStatusFlags.NotTimeValid)
            ? $"the broker's certificate is not valid now (valid {broker.NotBefore.ToUniversalTime():yyyy-MM-dd} to {broker.NotAfter.ToUniversalTime():yyyy-MM-dd} UTC)"
            : $"the broker's certificate (issued by {broker.Issuer}) is not signed by a CA in {_caSource}";
        return false;
    }

    public void Dispose() => ClientCertificate?.Dispose();

    private static string Names(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(extension => extension.EnumerateDnsNames().Concat(extension.EnumerateIPAddresses().Select(ip => ip.ToString())))
            .ToList();
        return names.Count > 0 ? string.Join(", ", names) : certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
    }
}
