namespace RosterBridge.Config;

/// <summary>A configuration the bridge cannot run with; the message names the key and what is wrong.</summary>
public sealed class ConfigException : Exception
{
    private const string Separator = ": ";

    public ConfigException(string key, string problem)
        : base($"configuration error: {Format(key, problem)}")
    {
        Key = key;
    }

    public ConfigException()
    {
        Key = string.Empty;
    }

    public ConfigException(string message)
        : base(message)
    {
        Key = string.Empty;
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = string.Empty;
    }

    public string Key { get; }

    /// <summary>A validation failure as the validators write it: <c>KEY: PROBLEM</c> (a key never holds ": ").</summary>
    public static string Format(string key, string problem) => key + Separator + problem;

    /// <summary>The exception for a failure written by <see cref="Format"/>.</summary>
    public static ConfigException FromFailure(string failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var at = failure.IndexOf(Separator, StringComparison.Ordinal);
        return at > 0 ? new ConfigException(failure[..at], failure[(at + Separator.Length)..]) : new ConfigException($"configuration error: {failure}");
    }
}
