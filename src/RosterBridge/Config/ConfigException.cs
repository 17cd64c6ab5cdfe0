namespace RosterBridge.Config;

/// <summary>A configuration the bridge cannot run with; the message names the key and what is wrong.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string key, string problem)
        : base($"configuration error: {key}: {problem}")
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
}
