namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>Which brokers a fault hits.</summary>
[Flags]
internal enum BrokerSet
{
    /// <summary>Mosquitto.</summary>
    Mqtt = 1,

    /// <summary>nats-server.</summary>
    Nats = 2,

    /// <summary>Both at once.</summary>
    Both = Mqtt | Nats,
}
