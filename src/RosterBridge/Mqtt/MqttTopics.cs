using System.Globalization;

namespace RosterBridge.Mqtt;

/// <summary>The bridge's MQTT topic names.</summary>
internal static class MqttTopics
{
    public static string Roster(string prefix, string node, int endpoint) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}/{node}/roster/{endpoint}");

    public static string RosterFilter(string prefix, string node) => $"{prefix}/{node}/roster/+";

    public static string Status(string prefix, string node) => $"{prefix}/{node}/bridge/status";

    /// <summary>A non-retained message the bridge sends itself to learn that all retained ones have arrived.</summary>
    public static string Probe(string prefix, string node) => $"{prefix}/{node}/bridge/probe";
}
