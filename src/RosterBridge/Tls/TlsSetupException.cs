namespace RosterBridge.Tls;

/// <summary>A certificate or key file the bridge cannot use for its side of TLS; the message names the key.</summary>
public sealed class TlsSetupException : Exception
{
    public TlsSetupException()
    {
    }

    public TlsSetupException(string message)
        : base(message)
    {
    }

    public TlsSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
