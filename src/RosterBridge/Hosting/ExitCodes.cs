namespace RosterBridge.Hosting;

/// <summary>What the process's exit code tells a supervisor (systemd, compose) about why it stopped.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Something unexpected; a supervisor may restart the bridge.</summary>
    public const int Failure = 1;

    /// <summary>The configuration (or a broker's setup) is wrong: restarting will not help until it is fixed.</summary>
    public const int BadConfig = 2;

    /// <summary>The daemon refused this subscriber (ERROR: capability refused, version unsupported).</summary>
    public const int DaemonRefused = 3;
}
