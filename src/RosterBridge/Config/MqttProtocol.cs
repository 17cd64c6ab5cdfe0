namespace RosterBridge.Config;

/// <summary>The MQTT protocol version the bridge speaks (<c>Mqtt:Protocol</c>).</summary>
internal enum MqttProtocol
{
    /// <summary>MQTT 5: messages carry a content type, a payload format indicator and user properties.</summary>
    V5,

    /// <summary>MQTT 3.1.1, for brokers that speak only that (nats-server's MQTT listener among them): payloads only.</summary>
    V311,
}
