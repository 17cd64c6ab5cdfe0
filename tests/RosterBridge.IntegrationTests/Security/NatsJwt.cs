using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NATS.NKeys;

namespace RosterBridge.IntegrationTests.Security;

/// <summary>
/// An operator, an account with JetStream and a user, as <c>nsc</c> makes them (NATS JWTs signed
/// with NKeys), for a nats-server in operator mode and a bridge that logs in with a <c>.creds</c> file.
/// </summary>
public sealed class NatsJwt : IDisposable
{
    private readonly KeyPair _operator = KeyPair.CreatePair(PrefixByte.Operator);
    private readonly KeyPair _account = KeyPair.CreatePair(PrefixByte.Account);
    private readonly KeyPair _user = KeyPair.CreatePair(PrefixByte.User);
    private readonly KeyPair _system = KeyPair.CreatePair(PrefixByte.Account);

    public NatsJwt()
    {
        OperatorJwt = Sign(_operator, _operator.GetPublicKey(), "test-operator", new JsonObject { ["type"] = "operator", ["version"] = 2 });
        AccountJwt = Sign(_operator, _account.GetPublicKey(), "rosterbridge", new JsonObject
        {
            ["type"] = "account",
            ["version"] = 2,
            ["limits"] = new JsonObject
            {
                ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["imports"] = -1, ["exports"] = -1, ["wildcards"] = true,
                ["conn"] = -1, ["leaf"] = -1, ["mem_storage"] = -1, ["disk_storage"] = -1, ["streams"] = -1, ["consumer"] = -1,
            },
        });
        SystemAccountJwt = Sign(_operator, _system.GetPublicKey(), "SYS", new JsonObject { ["type"] = "account", ["version"] = 2 });
        UserJwt = Sign(_account, _user.GetPublicKey(), "bridge-pve1", new JsonObject
        {
            ["type"] = "user", ["version"] = 2, ["subs"] = -1, ["data"] = -1, ["payload"] = -1,
            ["pub"] = new JsonObject(), ["sub"] = new JsonObject(),
        });
    }

    public string OperatorJwt { get; }

    public string AccountJwt { get; }

    public string UserJwt { get; }

    /// <summary>The system account a server in operator mode needs for JetStream.</summary>
    public string SystemAccountJwt { get; }

    public string AccountPublicKey => _account.GetPublicKey();

    /// <summary>The user's credentials in the <c>.creds</c> format nsc writes.</summary>
    public string Creds => $"""
        -----BEGIN NATS USER JWT-----
        {UserJwt}
        ------END NATS USER JWT------

        ************************* IMPORTANT *************************
        NKEY Seed printed below can be used to sign and prove identity.
        NKEYs are sensitive and should be treated as secrets.

        -----BEGIN USER NKEY SEED-----
        {_user.GetSeed()}
        ------END USER NKEY SEED------

        *************************************************************

        """;

    /// <summary>A server configuration in operator mode that knows this account (memory resolver).</summary>
    public string ServerConfiguration => $$"""
        operator: {{OperatorJwt}}
        system_account: {{_system.GetPublicKey()}}
        resolver: MEMORY
        resolver_preload: {
          {{AccountPublicKey}}: {{AccountJwt}}
          {{_system.GetPublicKey()}}: {{SystemAccountJwt}}
        }

        """;

    public void Dispose()
    {
        _operator.Dispose();
        _account.Dispose();
        _user.Dispose();
        _system.Dispose();
    }

    private static string Sign(KeyPair issuer, string subject, string name, JsonObject nats)
    {
        var claims = new JsonObject
        {
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["iss"] = issuer.GetPublicKey(),
            ["name"] = name,
            ["sub"] = subject,
            ["nats"] = nats,
        };
        claims["jti"] = Base32(SHA256.HashData(Encoding.UTF8.GetBytes(claims.ToJsonString())));
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"typ":"JWT","alg":"ed25519-nkey"}"""));
        var body = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = new byte[64];
        issuer.Sign(Encoding.ASCII.GetBytes($"{header}.{body}"), signature);
        return $"{header}.{body}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Base32(byte[] bytes)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var text = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }
}
