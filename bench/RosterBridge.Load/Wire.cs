namespace RosterBridge.Load;

/// <summary>Names and sizes this tool shares with the bridge (README, "What is published").</summary>
internal static class Wire
{
    public const int Endpoints = 64;

    /// <summary>Bytes one event takes on the daemon's socket: length prefix and 72-byte body.</summary>
    public const int EventBytes = Frames.EventWriter.WireSize;

    /// <summary>The last level of a barrier: under the roster filter, but no endpoint.</summary>
    public const string BarrierLevel = "barrier";

    public static string MqttRosterPrefix(string node) => $"vmsig/{node}/roster/";

    public static string MqttProbeTopic(string node) => $"vmsigload/{node}/probe";

    public static string NatsRosterPrefix(string node) => $"vmsig.{node}.roster.";

    public static string NatsProbeSubject(string node) => $"vmsigload.{node}.probe";

    public const string NatsProbeStream = "VMSIGLOAD_PROBE";

    public const string NatsProbeStreamSubjects = "vmsigload.>";

    /// <summary>The endpoint in a topic's or subject's last level, or -1 when it is no endpoint.</summary>
    public static int Endpoint(ReadOnlySpan<char> lastLevel) =>
        int.TryParse(lastLevel, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var endpoint)
        && endpoint is >= 0 and < Endpoints ? endpoint : -1;
}
