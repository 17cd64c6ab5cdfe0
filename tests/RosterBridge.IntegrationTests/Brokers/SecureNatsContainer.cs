using System.Text;
using NATS.NKeys;
using RosterBridge.IntegrationTests.Security;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// nats-server set up as a careful deployment is, from its own documentation: TLS with certificates
/// of a <see cref="TestPki"/>, and the users and permissions of this repository's config/nats/
/// examples (passwords and an NKey from the server's environment). With <see cref="Setup.MutualTls"/>, every
/// client must show a certificate from the CA, and its subject is its user (<c>verify_and_map</c>).
/// </summary>
public sealed class SecureNatsContainer : BrokerContainer
{
    public const string Password1 = "nats-s3cret-pve1";
    public const string Password2 = "nats-s3cret-pve2";
    public const string Token = "nats-t0ken-pve1";

    /// <summary>How clients authenticate to the server.</summary>
    public enum Setup
    {
        /// <summary>The example users (passwords, an NKey) and permissions of config/nats/.</summary>
        Users,

        /// <summary>The same, and every client shows a certificate whose subject is its user.</summary>
        MutualTls,

        /// <summary>One token for everybody.</summary>
        Token,

        /// <summary>Operator mode: users are JWTs, the bridge logs in with a .creds file.</summary>
        Operator,
    }

    private SecureNatsContainer(TestPki pki, Setup setup, KeyPair nkey, NatsJwt jwt)
        : base(
            ImageFromEnvironment(NatsContainer.ImageVariable, NatsContainer.DefaultImage),
            "tls",
            4222,
            builder => builder
                .WithResourceMapping(Encoding.UTF8.GetBytes(Configuration(setup, jwt)), "/config/server.conf")
                .WithResourceMapping(Example("rosterbridge.conf"), "/config/rosterbridge.conf")
                .WithResourceMapping(TestPki.Bytes(pki.CaFile), "/certs/ca.pem")
                .WithResourceMapping(TestPki.Bytes(pki.ServerCertFile), "/certs/server.pem")
                .WithResourceMapping(TestPki.Bytes(pki.ServerKeyFile), "/certs/server.key")
                .WithEnvironment("BRIDGE_PVE1_PASSWORD", Password1)
                .WithEnvironment("BRIDGE_PVE2_PASSWORD", Password2)
                .WithEnvironment("BRIDGE_PVE1_NKEY", nkey.GetPublicKey())
                .WithEnvironment("BRIDGE_TOKEN", Token)
                .WithCommand("-c", "/config/server.conf")
                .WithWaitStrategy(ReadyWhen(new NatsPongProbe(4222, tls: true))))
    {
        Pki = pki;
        NKeySeedFile = Path.Combine(pki.Folder, "pve1.nk");
        File.WriteAllText(NKeySeedFile, nkey.GetSeed() + "\n");
        nkey.Dispose();
        CredsFile = Path.Combine(pki.Folder, "pve1.creds");
        File.WriteAllText(CredsFile, jwt.Creds);
        jwt.Dispose();
    }

    internal SecureNatsContainer(Setup setup)
        : this(new TestPki(), setup, KeyPair.CreatePair(PrefixByte.User), new NatsJwt())
    {
    }

    public SecureNatsContainer()
        : this(Setup.Users)
    {
    }

    /// <summary>The user's .creds file, for <see cref="Setup.Operator"/>.</summary>
    public string CredsFile { get; }

    public TestPki Pki { get; }

    /// <summary>A file with the seed of the NKey user pve1's bridge may log in as.</summary>
    public string NKeySeedFile { get; }

    private static string Configuration(Setup setup, NatsJwt jwt) => $$"""
        server_name: "rosterbridge-test-secure"
        listen: "0.0.0.0:4222"
        jetstream { store_dir: "/data" }
        tls {
          cert_file: "/certs/server.pem"
          key_file: "/certs/server.key"
          ca_file: "/certs/ca.pem"
          {{(setup == Setup.MutualTls ? "verify_and_map: true" : "verify: false")}}
        }
        {{setup switch
        {
            Setup.Token => "authorization { token: $BRIDGE_TOKEN }",
            Setup.Operator => jwt.ServerConfiguration,
            _ => "include ./rosterbridge.conf",
        }}}

        """;

    private static byte[] Example(string name) => TestPki.Bytes(Path.Combine(AppContext.BaseDirectory, "config", "nats", name));
}
