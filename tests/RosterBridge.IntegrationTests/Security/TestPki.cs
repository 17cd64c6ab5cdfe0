using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// Certificates made for one test run (<see cref="CertificateRequest"/>), as PEM files in a
/// directory of their own: a CA, a server certificate from it for localhost and 127.0.0.1, one for
/// another host, one from a CA nobody trusts, and client certificates, a valid and an expired one.
/// </summary>
public sealed class TestPki : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rosterbridge-pki-");

    public TestPki()
    {
        using var ca = Authority("RosterBridge test CA");
        using var stranger = Authority("Somebody else's CA");
        CaFile = Write("ca.pem", ca.ExportCertificatePem());
        StrangerCaFile = Write("stranger-ca.pem", stranger.ExportCertificatePem());
        (ServerCertFile, ServerKeyFile) = Leaf("server", ca, "localhost", server: true, valid: true, dnsNames: ["localhost"], ip: IPAddress.Loopback);
        (OtherHostCertFile, OtherHostKeyFile) = Leaf("other-host", ca, "broker.example.org", server: true, valid: true, dnsNames: ["broker.example.org"], ip: null);
        (StrangerServerCertFile, StrangerServerKeyFile) = Leaf("stranger-server", stranger, "localhost", server: true, valid: true, dnsNames: ["localhost"], ip: IPAddress.Loopback);
        (ClientCertFile, ClientKeyFile) = Leaf("client", ca, "rosterbridge-pve1", server: false, valid: true, dnsNames: [], ip: null);
        (ExpiredClientCertFile, ExpiredClientKeyFile) = Leaf("expired-client", ca, "rosterbridge-pve1", server: false, valid: false, dnsNames: [], ip: null);
    }

    public string Folder => _directory.FullName;

    public string CaFile { get; }

    public string StrangerCaFile { get; }

    public string ServerCertFile { get; }

    public string ServerKeyFile { get; }

    public string OtherHostCertFile { get; }

    public string OtherHostKeyFile { get; }

    public string StrangerServerCertFile { get; }

    public string StrangerServerKeyFile { get; }

    public string ClientCertFile { get; }

    public string ClientKeyFile { get; }

    public string ExpiredClientCertFile { get; }

    public string ExpiredClientKeyFile { get; }

    /// <summary>A file's bytes, to copy into a container.</summary>
    public static byte[] Bytes(string path) => File.ReadAllBytes(path);

    public void Dispose() => _directory.Delete(recursive: true);

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private (string Cert, string Key) Leaf(string file, X509Certificate2 issuer, string commonName, bool server, bool valid, string[] dnsNames, IPAddress? ip)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (dnsNames.Length > 0 || ip is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var dns in dnsNames)
            {
                names.AddDnsName(dns);
            }

            if (ip is not null)
            {
                names.AddIpAddress(ip);
            }

            request.CertificateExtensions.Add(names.Build());
        }

        var (from, to) = valid
            ? (DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(6))
            : (DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-2));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, to, serial);
        return (Write($"{file}.pem", certificate.ExportCertificatePem()), Write($"{file}.key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, pem + "\n");
        return path;
    }
}
