namespace RosterBridge.Outbox;

/// <summary>
/// The broker refused the bridge itself: its credentials, its certificate check, or an ACL on a
/// topic or subject. Reported as a denial (log, readiness), not as a lost connection; retried with
/// the backoff, since the broker's configuration may be fixed while the bridge waits.
/// </summary>
public sealed class BrokerDeniedException : Exception
{
    public BrokerDeniedException()
    {
    }

    public BrokerDeniedException(string message)
        : base(message)
    {
    }

    public BrokerDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
