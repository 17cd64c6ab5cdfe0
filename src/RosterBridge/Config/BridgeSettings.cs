using Microsoft.Extensions.Options;

namespace RosterBridge.Config;

/// <summary>
/// The configuration as bound from its layers (README.md documents every key). Strings are as
/// given (empty means the default); <see cref="BridgeSettingsRules"/> and the attributes check them,
/// and <see cref="ToOpts"/> turns the valid result into the <see cref="BridgeOpts"/> the bridge runs with.
/// </summary>
internal sealed class BridgeSettings : SettingsSection
{
    /// <summary>The JSON file to read instead of <c>rosterbridge.json</c> beside the program.</summary>
    public string? Config { get; set; }

    [NameValue]
    public string? Node { get; set; }

    [ValidateObjectMembers]
    public DaemonSettings Daemon { get; set; } = new();

    [ValidateObjectMembers]
    public MqttSettings Mqtt { get; set; } = new();

    [ValidateObjectMembers]
    public NatsSettings Nats { get; set; } = new();

    [ValidateObjectMembers]
    public HomeAssistantSettings HomeAssistant { get; set; } = new();

    [ValidateObjectMembers]
    public ReconnectSettings Reconnect { get; set; } = new();

    [ValidateObjectMembers]
    public HealthSettings Health { get; set; } = new();

    [ValidateObjectMembers]
    public OutboxSettings Outbox { get; set; } = new();

    [ValidateObjectMembers]
    public LoggingSettings Logging { get; set; } = new();

    public BridgeOpts ToOpts(string hostName)
    {
        var node = Trimmed(Node) ?? DefaultNode(hostName);
        return new BridgeOpts
        {
            Node = node,
            Daemon = Daemon.ToEndpoint(),
            Mqtt = Mqtt.ToOpts(node) is { } mqtt ? mqtt with { HomeAssistant = HomeAssistant.ToOpts() } : null,
            Nats = Nats.ToOpts(),
            Reconnect = Reconnect.ToOpts(),
            Health = Health.ToOpts(),
            OutboxMode = Outbox.ToMode(),
        };
    }

    /// <summary>Null for a missing, empty or blank value, else the value without surrounding blanks.</summary>
    public static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>The host name's first label: a host called pve1.example.org is node <c>pve1</c>.</summary>
    private static string DefaultNode(string hostName)
    {
        var label = hostName.Split('.')[0];
        return label.Length > 0 ? label : hostName;
    }
}
