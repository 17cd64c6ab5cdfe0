namespace RosterBridge.Outbox;

/// <summary>
/// The broker refused a publish because its entry is not the one the session read back: another
/// writer, or an older publish that landed late. The session reads the broker back before it goes on.
/// </summary>
public sealed class BrokerChangedException : Exception
{
    public BrokerChangedException()
    {
    }

    public BrokerChangedException(string message)
        : base(message)
    {
    }

    public BrokerChangedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
