namespace RosterBridge.Daemon;

/// <summary>The daemon broke the protocol on this connection: drop it and reconnect.</summary>
public sealed class DaemonProtocolException : Exception
{
    public DaemonProtocolException()
    {
    }

    public DaemonProtocolException(string message)
        : base(message)
    {
    }

    public DaemonProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
