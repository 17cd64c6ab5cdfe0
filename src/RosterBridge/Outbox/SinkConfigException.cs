namespace RosterBridge.Outbox;

/// <summary>The broker is set up in a way the bridge refuses to work with or to change.</summary>
public sealed class SinkConfigException : Exception
{
    public SinkConfigException()
    {
    }

    public SinkConfigException(string message)
        : base(message)
    {
    }

    public SinkConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
