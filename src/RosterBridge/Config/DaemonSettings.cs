using RosterBridge.Daemon;

namespace RosterBridge.Config;

internal sealed class DaemonSettings : SettingsSection
{
    public const string DefaultEndpoint = "unix:///run/vmsig/vmsig.sock";

    /// <summary>The longest unix socket path the kernel takes: sun_path holds 108 bytes, the last a NUL.</summary>
    public const int MaxSocketPathBytes = 107;

    [DaemonEndpointValue]
    public string? Endpoint { get; set; }

    /// <summary>Why <paramref name="text"/> is no endpoint the bridge can connect to (or listen on), or null when it is one.</summary>
    public static string? Problem(string text, out DaemonEndpoint endpoint)
    {
        if (!DaemonEndpoint.TryParse(text, out endpoint, out var problem))
        {
            return problem;
        }

        var bytes = System.Text.Encoding.UTF8.GetByteCount(endpoint.Address);
        return endpoint.IsUnix && bytes > MaxSocketPathBytes
            ? $"the socket path is {bytes} bytes long; the kernel takes at most {MaxSocketPathBytes}"
            : null;
    }

    public DaemonEndpoint ToEndpoint() =>
        Problem(BridgeSettings.Trimmed(Endpoint) ?? DefaultEndpoint, out var endpoint) is null
            ? endpoint
            : throw new InvalidOperationException("Daemon:Endpoint was not validated");
}
