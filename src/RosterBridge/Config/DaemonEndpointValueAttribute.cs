namespace RosterBridge.Config;

/// <summary><c>unix:///PATH</c> (a path the kernel takes) or <c>tcp://HOST:PORT</c>.</summary>
internal sealed class DaemonEndpointValueAttribute : ConfigValueAttribute
{
    protected override string? Problem(object value) => DaemonSettings.Problem((string)value, out _);
}
