namespace RosterBridge.Config;

internal sealed class ReconnectSettings : SettingsSection
{
    [InRange(1, 60_000)]
    public int InitialDelayMs { get; set; } = 200;

    [InRange(1, 3_600_000)]
    public int MaxDelayMs { get; set; } = 30_000;

    public ReconnectOpts ToOpts() => new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(InitialDelayMs),
        MaxDelay = TimeSpan.FromMilliseconds(MaxDelayMs),
    };
}
