using RosterBridge.Payload;

namespace RosterBridge.Config;

internal sealed class NatsSettings : SettingsSection
{
    [BrokerUrlValue("nats")]
    public string? Url { get; set; }

    [NameValue]
    public string? SubjectPrefix { get; set; }

    [NameValue]
    public string? Stream { get; set; }

    [OneOf("msgpack", "messagepack", "json")]
    public string? Format { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

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

        return new NatsSinkOpts
        {
            Url = BrokerUrl.TryParse(url, "nats", NatsSinkOpts.DefaultPort, out var parsed) ? parsed : throw new InvalidOperationException("Nats:Url was not validated"),
            SubjectPrefix = BridgeSettings.Trimmed(SubjectPrefix) ?? "vmsig",
            Stream = BridgeSettings.Trimmed(Stream) ?? "VMSIG_ROSTER",
            Format = PayloadFormats.Parse(Format, PayloadFormat.MessagePack),
            Username = BridgeSettings.Trimmed(Username),
            Password = BridgeSettings.Trimmed(Password),
            PublishTimeout = TimeSpan.FromSeconds(PublishTimeoutSeconds),
            MaxInFlight = MaxInFlight,
        };
    }
}
