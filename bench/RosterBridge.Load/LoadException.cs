namespace RosterBridge.Load;

/// <summary>Something broke: a process died, a wait ran out of time, a roster did not converge.</summary>
internal sealed class LoadException : Exception
{
    public LoadException()
    {
    }

    public LoadException(string message)
        : base(message)
    {
    }

    public LoadException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
