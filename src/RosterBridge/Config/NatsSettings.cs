using RosterBridge.Payload;

namespace RosterBridge.Config;

internal sealed class NatsSettings : SettingsSection
{
    /// <summary>One server, or a comma-separated list of a cluster's servers (the client fails over between them).</summary>
    [BrokerUrlValue("nats", List = true)]
    public string? Url { get; set; }

    /// <summary>The replicas of the stream or KV bucket the bridge creates (a cluster's R3); an existing one is never changed.</summary>
    [InRange(1, 5)]
    public int Replicas { get; set; } = 1;

    [NameValue]
    public string? SubjectPrefix { get; set; }

    [NameValue]
    public string? Stream { get; set; }

    /// <summary><c>stream</c> (the default) or <c>kv</c>: the roster as the keys of <see cref="Bucket"/>.</summary>
    [OneOf("stream", "kv")]
    public string? Mode { get; set; }

    [NameValue]
    public string? Bucket { get; set; }

    [OneOf("msgpack", "messagepack", "json")]
    public string? Format { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>A file holding the password (a container secret), read at every connect.</summary>
    [ExistingFile]
    public string? PasswordFile { get; set; }

    public string? Token { get; set; }

    [ExistingFile]
    public string? TokenFile { get; set; }

    /// <summary>A file holding an NKey seed (<c>SU...</c>).</summary>
    [ExistingFile]
    public string? NKeyFile { get; set; }

    /// <summary>A user's <c>.creds</c> file (JWT and seed), as <c>nsc</c> makes it.</summary>
    [ExistingFile]
    public string? CredsFile { get; set; }

    /// <summary>The CA bundle (PEM) to trust; empty: the system's store.</summary>
    [ExistingFile]
    public string? CaFile { get; set; }

    /// <summary>A client certificate (PEM) for mutual TLS, with <see cref="KeyFile"/>.</summary>
    [ExistingFile]
    public string? CertFile { get; set; }

    [ExistingFile]
    public string? KeyFile { get; set; }

    [InRange(1, 600)]
    public int PublishTimeoutSeconds { get; set; } = 10;

    [InRange(1, 64)]
    public int MaxInFlight { get; set; } = 16;

    /// <summary>Null when the sink is off.</summary>
    public NatsSinkOpts? ToOpts()
    {
        var url = BridgeSettings.Trimmed(Url) ?? "nats://localhost:4222";
        if (BrokerUrlValueAttribute.IsOff(url))
        {
            return null;
        }

        var servers = BrokerUrl.TryParseList(url, "nats", out var parsed, out _) ? parsed : throw new InvalidOperationException("Nats:Url was not validated");
        return new NatsSinkOpts
        {
            Url = servers[0],
            Servers = servers,
            Replicas = Replicas,
            SubjectPrefix = BridgeSettings.Trimmed(SubjectPrefix) ?? "vmsig",
            Stream = BridgeSettings.Trimmed(Stream) ?? "VMSIG_ROSTER",
            Mode = string.Equals(BridgeSettings.Trimmed(Mode), "kv", StringComparison.OrdinalIgnoreCase) ? NatsMode.Kv : NatsMode.Stream,
            Bucket = BridgeSettings.Trimmed(Bucket) ?? "vmsig_roster",
            Format = PayloadFormats.Parse(Format, PayloadFormat.MessagePack),
            Username = BridgeSettings.Trimmed(Username),
            Password = Secret.From(BridgeSettings.Trimmed(Password), BridgeSettings.Trimmed(PasswordFile)),
            Token = Secret.From(BridgeSettings.Trimmed(Token), BridgeSettings.Trimmed(TokenFile)),
            NKeyFile = BridgeSettings.Trimmed(NKeyFile),
            CredsFile = BridgeSettings.Trimmed(CredsFile),
            Tls = new TlsFiles(BridgeSettings.Trimmed(CaFile), BridgeSettings.Trimmed(CertFile), BridgeSettings.Trimmed(KeyFile)),
            PublishTimeout = TimeSpan.FromSeconds(PublishTimeoutSeconds),
            MaxInFlight = MaxInFlight,
        };
    }
}
