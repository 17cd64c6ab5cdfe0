using Microsoft.Extensions.Configuration;

namespace RosterBridge.Config;

/// <summary>
/// Files holding secrets that other users of the host may read: every secret file the configuration
/// names (passwords, tokens, keys, seeds, credentials), and the configuration file itself when it holds
/// a password or token. The bridge warns about each; it does not refuse, since only the
/// administrator knows who those other users are.
/// </summary>
internal static class ReadableSecrets
{
    /// <summary>The keys whose value is a file with a secret in it.</summary>
    public static readonly string[] FileKeys =
    [
        "Mqtt:PasswordFile", "Mqtt:KeyFile",
        "Nats:PasswordFile", "Nats:TokenFile", "Nats:NKeyFile", "Nats:CredsFile", "Nats:KeyFile",
    ];

    /// <summary>The keys whose value is a secret itself.</summary>
    public static readonly string[] ValueKeys = ["Mqtt:Password", "Nats:Password", "Nats:Token"];

    /// <summary>What each such file is, and its path.</summary>
    public static IEnumerable<(string What, string Path)> ReadableByOthers(IConfiguration config, string? configFile)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var key in FileKeys)
        {
            if (BridgeSettings.Trimmed(config[key]) is { } path && IsReadableByOthers(path))
            {
                yield return (key, path);
            }
        }

        if (configFile is not null && IsReadableByOthers(configFile) && HoldsSecret(configFile))
        {
            yield return ("the configuration file, which holds a password or token", configFile);
        }
    }

    public static bool IsReadableByOthers(string path)
    {
        try
        {
            return !OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & UnixFileMode.OtherRead) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool HoldsSecret(string configFile)
    {
        try
        {
            var file = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configFile), optional: true, reloadOnChange: false).Build();
            return ValueKeys.Any(key => BridgeSettings.Trimmed(file[key]) is not null);
        }
        catch (InvalidDataException)
        {
            return false; // not JSON: the configuration check says so
        }
    }
}
