namespace RosterBridge.Config;

internal sealed class HealthSettings : SettingsSection
{
    /// <summary>0 turns the listener off.</summary>
    [InRange(0, 65535)]
    public int Port { get; set; } = 8089;

    [HealthAddressValue]
    public string? Address { get; set; }

    public HealthOpts ToOpts() => new()
    {
        Port = Port,
        Address = HealthAddressValueAttribute.Unbracketed(BridgeSettings.Trimmed(Address) ?? "127.0.0.1"),
    };
}
