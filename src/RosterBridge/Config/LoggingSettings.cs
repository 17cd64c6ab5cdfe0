using Microsoft.Extensions.Logging;

namespace RosterBridge.Config;

internal sealed class LoggingSettings : SettingsSection
{
    [OneOf("Trace", "Debug", "Information", "Warning", "Error", "Critical", "None")]
    public string? Level { get; set; }

    /// <summary><c>simple</c>: one line per entry (under systemd, with the journal's priority prefixes); <c>json</c>: one JSON object per line.</summary>
    [OneOf("simple", "json")]
    public string? Format { get; set; }

    /// <summary>The level a (possibly not yet validated) setting asks for; Information when it is not one.</summary>
    public static LogLevel ParseLevel(string? text) =>
        Enum.TryParse<LogLevel>(BridgeSettings.Trimmed(text), ignoreCase: true, out var level) && Enum.IsDefined(level) ? level : LogLevel.Information;

    /// <summary>True when a (possibly not yet validated) setting asks for JSON lines.</summary>
    public static bool IsJson(string? text) => string.Equals(BridgeSettings.Trimmed(text), "json", StringComparison.OrdinalIgnoreCase);
}
