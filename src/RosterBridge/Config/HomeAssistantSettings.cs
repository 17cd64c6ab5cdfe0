namespace RosterBridge.Config;

/// <summary>Home Assistant MQTT discovery: the VMs of this node as devices of Home Assistant.</summary>
internal sealed class HomeAssistantSettings : SettingsSection
{
    public const string DefaultDiscoveryPrefix = "homeassistant";

    /// <summary><c>true</c> or <c>false</c> (the default).</summary>
    [OneOf("false", "true")]
    public string? Enabled { get; set; }

    /// <summary>Home Assistant's <c>discovery_prefix</c>; its birth message is on <c>&lt;prefix&gt;/status</c>.</summary>
    [TopicPrefixValue]
    public string? DiscoveryPrefix { get; set; }

    public bool IsEnabled() => string.Equals(BridgeSettings.Trimmed(Enabled), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when discovery is off.</summary>
    public HomeAssistantOpts? ToOpts() => IsEnabled()
        ? new HomeAssistantOpts { DiscoveryPrefix = BridgeSettings.Trimmed(DiscoveryPrefix) ?? DefaultDiscoveryPrefix }
        : null;
}
