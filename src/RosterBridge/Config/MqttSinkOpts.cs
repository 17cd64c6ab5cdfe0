using RosterBridge.Payload;

namespace RosterBridge.Config;

internal sealed record MqttSinkOpts
{
    public required BrokerUrl Url { get; init; }

    /// <summary>Topics are <c>{TopicPrefix}/{node}/roster/{endpoint}</c>.</summary>
    public string TopicPrefix { get; init; } = "vmsig";

    public PayloadFormat Format { get; init; } = PayloadFormat.Json;

    public MqttProtocol Protocol { get; init; } = MqttProtocol.V5;

    /// <summary>The MQTT client id; empty means <c>rosterbridge-{node}</c>.</summary>
    public string ClientId { get; init; } = string.Empty;

    public string? Username { get; init; }

    public Secret? Password { get; init; }

    public TlsFiles Tls { get; init; } = TlsFiles.None;

    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A publish not acknowledged within this time counts as a dead connection.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Slots published concurrently (each slot has at most one publish in flight).</summary>
    public int MaxInFlight { get; init; } = 16;

    /// <summary>Home Assistant discovery beside the roster; null when off.</summary>
    public HomeAssistantOpts? HomeAssistant { get; init; }
}
