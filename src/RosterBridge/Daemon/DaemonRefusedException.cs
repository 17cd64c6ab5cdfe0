using RosterBridge.Frames;

namespace RosterBridge.Daemon;

/// <summary>The daemon refused this subscriber for good: retrying cannot help.</summary>
public sealed class DaemonRefusedException : Exception
{
    public DaemonRefusedException()
    {
    }

    public DaemonRefusedException(string message)
        : base(message)
    {
    }

    public DaemonRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal DaemonRefusedException(DaemonErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    internal DaemonErrorCode Code { get; }
}
