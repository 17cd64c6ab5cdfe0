namespace RosterBridge.Config;

/// <summary>A broker's host and port, and whether it is reached over TLS: <c>scheme://host[:port]</c>.</summary>
internal sealed record BrokerUrl(string Host, int Port, bool Tls = false)
{
    /// <summary>The schemes of a kind of broker ("mqtt", "nats"): name, default port, TLS.</summary>
    private static readonly Dictionary<string, (string Scheme, int Port, bool Tls)[]> Schemes = new(StringComparer.Ordinal)
    {
        ["mqtt"] = [("mqtt", 1883, false), ("mqtts", 8883, true)],
        ["nats"] = [("nats", 4222, false), ("tls", 4222, true)],
    };

    /// <summary>The schemes a kind of broker takes, for messages: "mqtt:// or mqtts://".</summary>
    public static string SchemesOf(string kind) => string.Join(" or ", Schemes[kind].Select(scheme => $"{scheme.Scheme}://HOST:PORT"));

    /// <summary>Parses a URL of one kind of broker ("mqtt": mqtt:// and mqtts://; "nats": nats:// and tls://).</summary>
    public static bool TryParse(string text, string kind, out BrokerUrl url)
    {
        url = null!;
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri)
            || uri.Host.Length == 0
            || uri.AbsolutePath is not ("/" or "")
            || uri.Query.Length != 0
            || uri.UserInfo.Length != 0)
        {
            return false;
        }

        foreach (var (scheme, port, tls) in Schemes[kind])
        {
            if (uri.Scheme == scheme)
            {
                url = new BrokerUrl(uri.IdnHost, uri.IsDefaultPort || uri.Port < 0 ? port : uri.Port, tls);
                return true;
            }
        }

        return false;
    }

    /// <summary>As a user writes it, for logs: <c>mqtts://broker:8883</c>.</summary>
    public string ToString(string kind) => $"{Schemes[kind].First(scheme => scheme.Tls == Tls).Scheme}://{Host}:{Port}";
}
