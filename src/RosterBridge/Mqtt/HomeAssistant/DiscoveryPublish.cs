namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>One retained discovery message to publish; an empty payload clears the config (Home Assistant removes the entity).</summary>
internal readonly record struct DiscoveryPublish(string Topic, byte[] Payload)
{
    public bool IsClear => Payload.Length == 0;
}
