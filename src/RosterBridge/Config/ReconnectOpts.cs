namespace RosterBridge.Config;

/// <summary>Backoff between attempts to (re)connect the daemon or a broker.</summary>
internal sealed record ReconnectOpts
{
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);
}
