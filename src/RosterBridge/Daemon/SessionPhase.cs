namespace RosterBridge.Daemon;

internal enum SessionPhase
{
    /// <summary>HELLO sent; the daemon must answer WELCOME (or ERROR).</summary>
    AwaitingWelcome,

    /// <summary>The daemon replays its retained roster, up to SYNC.</summary>
    Replaying,

    /// <summary>After SYNC: live events.</summary>
    Live,
}
