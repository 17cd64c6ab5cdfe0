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

    /// <summary>The most servers one list may name: a NATS cluster's seed list, not its every member.</summary>
    public const int MaxServers = 16;

    /// <summary>
    /// Parses a comma-separated list of servers of one kind (<c>nats://a:4222,nats://b:4222</c>), as
    /// NATS clients take them; every one plaintext or every one TLS, none twice.
    /// </summary>
    /// <param name="problem">Why the list is refused, in words; null when it is taken.</param>
    public static bool TryParseList(string text, string kind, out IReadOnlyList<BrokerUrl> urls, out string? problem)
    {
        urls = [];
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > MaxServers)
        {
            problem = $"names {parts.Length} servers; at most {MaxServers} (the client learns the rest of a cluster from the servers)";
            return false;
        }

        var parsed = new List<BrokerUrl>(parts.Length);
        foreach (var part in parts)
        {
            if (!TryParse(part, kind, out var url))
            {
                problem = part.Length == 0 ? "has an empty entry between commas" : $"'{part}' is not {SchemesOf(kind)}";
                return false;
            }

            if (parsed.Contains(url))
            {
                problem = $"names {url.ToString(kind)} twice";
                return false;
            }

            parsed.Add(url);
        }

        if (parsed.Any(url => url.Tls) && parsed.Any(url => !url.Tls))
        {
            // One connection's security must not depend on which server it happens to reach.
            problem = $"mixes plaintext and TLS servers ({string.Join(", ", parsed.Select(url => url.ToString(kind)))}): use {Schemes[kind].First(scheme => scheme.Tls).Scheme}:// for all of them, or for none";
            return false;
        }

        urls = parsed;
        problem = null;
        return true;
    }

    /// <summary>As a user writes it, for logs: <c>mqtts://broker:8883</c>.</summary>
    public string ToString(string kind) => $"{Schemes[kind].First(scheme => scheme.Tls == Tls).Scheme}://{Host}:{Port}";
}
