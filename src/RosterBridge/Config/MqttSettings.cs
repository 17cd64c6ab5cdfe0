using RosterBridge.Payload;

namespace RosterBridge.Config;

internal sealed class MqttSettings : SettingsSection
{
    [BrokerUrlValue("mqtt")]
    public string? Url { get; set; }

    [NameValue]
    public string? TopicPrefix { get; set; }

    [OneOf("json", "msgpack", "messagepack")]
    public string? Format { get; set; }

    /// <summary><c>5</c> (content type, payload format indicator, user properties) or <c>3.1.1</c>, for brokers that speak only that.</summary>
    [OneOf("5", "3.1.1")]
    public string? Protocol { get; set; }

    public string? ClientId { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>A file holding the password (a container secret), read at every connect.</summary>
    [ExistingFile]
    public string? PasswordFile { get; set; }

    /// <summary>The CA bundle (PEM) to trust for <c>mqtts://</c>; empty: the system's store.</summary>
    [ExistingFile]
    public string? CaFile { get; set; }

    /// <summary>A client certificate (PEM) for mutual TLS, with <see cref="KeyFile"/>.</summary>
    [ExistingFile]
    public string? CertFile { get; set; }

    [ExistingFile]
    public string? KeyFile { get; set; }

    [InRange(1, 3600)]
    public int KeepAliveSeconds { get; set; } = 15;

    [InRange(1, 600)]
    public int PublishTimeoutSeconds { get; set; } = 10;

    [InRange(1, 64)]
    public int MaxInFlight { get; set; } = 16;

    /// <summary>Null when the sink is off.</summary>
    public MqttSinkOpts? ToOpts(string node)
    {
        var url = BridgeSettings.Trimmed(Url) ?? "mqtt://localhost:1883";
        if (BrokerUrlValueAttribute.IsOff(url))
        {
            return null;
        }

        return new MqttSinkOpts
        {
            Url = BrokerUrl.TryParse(url, "mqtt", out var parsed) ? parsed : throw new InvalidOperationException("Mqtt:Url was not validated"),
            TopicPrefix = BridgeSettings.Trimmed(TopicPrefix) ?? "vmsig",
            Format = PayloadFormats.Parse(Format, PayloadFormat.Json),
            Protocol = BridgeSettings.Trimmed(Protocol) == "3.1.1" ? MqttProtocol.V311 : MqttProtocol.V5,
            ClientId = BridgeSettings.Trimmed(ClientId) ?? $"rosterbridge-{node}",
            Username = BridgeSettings.Trimmed(Username),
            Password = Secret.From(BridgeSettings.Trimmed(Password), BridgeSettings.Trimmed(PasswordFile)),
            Tls = new TlsFiles(BridgeSettings.Trimmed(CaFile), BridgeSettings.Trimmed(CertFile), BridgeSettings.Trimmed(KeyFile)),
            KeepAlive = TimeSpan.FromSeconds(KeepAliveSeconds),
            PublishTimeout = TimeSpan.FromSeconds(PublishTimeoutSeconds),
            MaxInFlight = MaxInFlight,
        };
    }
}
