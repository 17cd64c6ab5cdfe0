namespace RosterBridge.Config;

/// <summary>Home Assistant MQTT discovery, published by the MQTT sink.</summary>
internal sealed record HomeAssistantOpts
{
    /// <summary>Discovery configs are <c>{DiscoveryPrefix}/sensor/rosterbridge_{node}/vm_{vmid}/config</c>.</summary>
    public string DiscoveryPrefix { get; init; } = HomeAssistantSettings.DefaultDiscoveryPrefix;

    /// <summary>
    /// How long a VM that left the roster keeps its discovery config. A VM that moves to another
    /// endpoint is a DETACH and an ATTACH, which may reach the bridge apart: within this time it is
    /// the same entity, updated to its new endpoint, never deleted and made again.
    /// </summary>
    public TimeSpan LeaveGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Discovery is published again when Home Assistant says it started, at most once in this
    /// time: a Home Assistant that restarts in a loop cannot make the bridge publish in one.
    /// </summary>
    public TimeSpan BirthInterval { get; init; } = TimeSpan.FromSeconds(10);
}
