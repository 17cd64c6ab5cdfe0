namespace RosterBridge.Daemon;

internal enum FrameOutcome
{
    /// <summary>Handled (or skipped and counted); read the next frame.</summary>
    Continue,

    /// <summary>SYNC: the roster is complete.</summary>
    Synced,

    /// <summary>The daemon broke the protocol: drop the connection and reconnect.</summary>
    ProtocolError,

    /// <summary>The daemon sent ERROR and closes.</summary>
    DaemonError,
}
