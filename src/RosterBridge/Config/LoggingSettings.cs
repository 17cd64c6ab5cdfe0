using Microsoft.Extensions.Logging;

namespace RosterBridge.Config;

internal sealed class LoggingSettings : SettingsSection
{
    [OneOf("Trace", "Debug", "Information", "Warning", "Error", "Critical", "None")]
    public string? Level { get; set; }

    /// <summary>The level a (possibly not yet validated) setting asks for; Information when it is not one.</summary>
    public static LogLevel ParseLevel(string? text) =>
        Enum.TryParse<LogLevel>(BridgeSettings.Trimmed(text), ignoreCase: true, out var level) && Enum.IsDefined(level) ? level : LogLevel.Information;
}
