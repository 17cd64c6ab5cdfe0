using System.Diagnostics;
using System.Text;
using RosterBridge.IntegrationTests.Security;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// Mosquitto set up as a careful deployment is, from its own documentation: no anonymous clients,
/// a password file, an ACL that gives each bridge its own namespace (config/mosquitto/ of this
/// repository), and TLS with certificates of a <see cref="TestPki"/>. Several listeners, one per
/// thing a test needs: TLS with passwords (<see cref="BrokerContainer.Url"/>), mutual TLS (the
/// certificate's name is the user), TLS with a certificate for another host, TLS with a
/// certificate from a CA nobody trusts, and plaintext with passwords.
/// </summary>
public sealed class SecureMosquittoContainer : BrokerContainer
{
    public const string Password1 = "s3cret-pve1";
    public const string Password2 = "s3cret-pve2";

    private SecureMosquittoContainer(TestPki pki, (int MutualTls, int OtherHost, int StrangerCa, int Plain) ports)
        : base(
            ImageFromEnvironment(MosquittoContainer.ImageVariable, MosquittoContainer.DefaultImage),
            "mqtts",
            8883,
            builder => builder
                .WithResourceMapping(Encoding.UTF8.GetBytes(Configuration), "/mosquitto/config/mosquitto.conf")
                .WithResourceMapping(PasswordFile(), "/mosquitto/config/passwd")
                .WithResourceMapping(TestPki.Bytes(Path.Combine(RepositoryConfig, "mosquitto", "acl")), "/mosquitto/config/acl")
                .WithResourceMapping(TestPki.Bytes(pki.CaFile), "/certs/ca.pem")
                .WithResourceMapping(TestPki.Bytes(pki.ServerCertFile), "/certs/server.pem")
                .WithResourceMapping(TestPki.Bytes(pki.ServerKeyFile), "/certs/server.key")
                .WithResourceMapping(TestPki.Bytes(pki.OtherHostCertFile), "/certs/other-host.pem")
                .WithResourceMapping(TestPki.Bytes(pki.OtherHostKeyFile), "/certs/other-host.key")
                .WithResourceMapping(TestPki.Bytes(pki.StrangerServerCertFile), "/certs/stranger.pem")
                .WithResourceMapping(TestPki.Bytes(pki.StrangerServerKeyFile), "/certs/stranger.key")
                .WithPortBinding(ports.MutualTls, 8884)
                .WithPortBinding(ports.OtherHost, 8885)
                .WithPortBinding(ports.StrangerCa, 8886)
                .WithPortBinding(ports.Plain, 1883)
                .WithCommand("/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf")
                .WithWaitStrategy(ReadyWhen(new MqttConnackProbe(1883, acceptRefusal: true))))
    {
        Pki = pki;
        (MutualTlsPort, OtherHostPort, StrangerCaPort, PlainPort) = ports;
    }

    public SecureMosquittoContainer()
        : this(new TestPki(), (FreeTcpPort.Find(), FreeTcpPort.Find(), FreeTcpPort.Find(), FreeTcpPort.Find()))
    {
    }

    /// <summary>The repository's config/ directory, copied beside the tests: the examples are what is tested.</summary>
    public static string RepositoryConfig => Path.Combine(AppContext.BaseDirectory, "config");

    public TestPki Pki { get; }

    public int MutualTlsPort { get; }

    public int OtherHostPort { get; }

    public int StrangerCaPort { get; }

    public int PlainPort { get; }

    private const string Configuration = """
        per_listener_settings false
        allow_anonymous false
        password_file /mosquitto/config/passwd
        acl_file /mosquitto/config/acl
        user root
        persistence false
        log_dest stderr
        log_type all

        listener 8883 0.0.0.0
        cafile /certs/ca.pem
        certfile /certs/server.pem
        keyfile /certs/server.key

        listener 8884 0.0.0.0
        cafile /certs/ca.pem
        certfile /certs/server.pem
        keyfile /certs/server.key
        require_certificate true
        use_identity_as_username true

        listener 8885 0.0.0.0
        certfile /certs/other-host.pem
        keyfile /certs/other-host.key

        listener 8886 0.0.0.0
        certfile /certs/stranger.pem
        keyfile /certs/stranger.key

        listener 1883 0.0.0.0

        """;

    /// <summary>A mosquitto password file for the example users, made with mosquitto_passwd (hashed, as the broker wants it).</summary>
    private static byte[] PasswordFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            foreach (var (user, password) in new[] { ("bridge-pve1", Password1), ("bridge-pve2", Password2) })
            {
                using var tool = Process.Start(new ProcessStartInfo("mosquitto_passwd", ["-b", path, user, password]) { RedirectStandardError = true })
                    ?? throw new InvalidOperationException("mosquitto_passwd did not start");
                tool.WaitForExit();
                if (tool.ExitCode != 0)
                {
                    throw new InvalidOperationException($"mosquitto_passwd failed: {tool.StandardError.ReadToEnd()}");
                }
            }

            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
