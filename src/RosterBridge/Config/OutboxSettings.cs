namespace RosterBridge.Config;

internal sealed class OutboxSettings : SettingsSection
{
    [OneOf("coalesce", "per-event")]
    public string? Mode { get; set; }

    public OutboxMode ToMode() =>
        BridgeSettings.Trimmed(Mode)?.ToUpperInvariant() switch
        {
            null or "COALESCE" => OutboxMode.Coalesce,
            "PER-EVENT" => OutboxMode.PerEvent,
            _ => throw new InvalidOperationException("Outbox:Mode was not validated"),
        };
}
