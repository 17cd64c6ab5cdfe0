namespace RosterBridge.Config;

/// <summary>A broker's host and port, from <c>scheme://host[:port]</c>.</summary>
internal sealed record BrokerUrl(string Host, int Port)
{
    public static bool TryParse(string text, string scheme, int defaultPort, out BrokerUrl url)
    {
        url = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || uri.Scheme != scheme
            || uri.Host.Length == 0
            || uri.AbsolutePath is not ("/" or "")
            || uri.Query.Length != 0)
        {
            return false;
        }

        url = new BrokerUrl(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? defaultPort : uri.Port);
        return true;
    }
}
