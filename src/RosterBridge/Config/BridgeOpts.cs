using RosterBridge.Daemon;

namespace RosterBridge.Config;

/// <summary>Everything <c>rosterbridge run</c> needs, validated.</summary>
internal sealed record BridgeOpts
{
    /// <summary>This bridge's name in topics and subjects: letters, digits, '-' and '_'.</summary>
    public required string Node { get; init; }

    public required DaemonEndpoint Daemon { get; init; }

    /// <summary>Null when the MQTT sink is off.</summary>
    public MqttSinkOpts? Mqtt { get; init; }

    /// <summary>Null when the NATS sink is off.</summary>
    public NatsSinkOpts? Nats { get; init; }

    public ReconnectOpts Reconnect { get; init; } = new();

    public HealthOpts Health { get; init; } = new();

    public OutboxMode OutboxMode { get; init; } = OutboxMode.Coalesce;
}
