using System.Globalization;

namespace RosterBridge.Nats;

/// <summary>The bridge's NATS subject names, and whether a stream's subject filter covers them.</summary>
internal static class NatsSubjects
{
    public static string Roster(string prefix, string node, int endpoint) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}.{node}.roster.{endpoint}");

    /// <summary>What the bridge publishes under: one node's roster subjects.</summary>
    public static string RosterFilter(string prefix, string node) => $"{prefix}.{node}.roster.*";

    /// <summary>What the stream the bridge creates holds: every node's roster subjects.</summary>
    public static string StreamSubject(string prefix) => $"{prefix}.*.roster.*";

    public static string Status(string prefix, string node) => $"{prefix}.{node}.bridge.status";

    /// <summary>True when every subject matching <paramref name="filter"/> also matches <paramref name="pattern"/>.</summary>
    public static bool Covers(string pattern, string filter)
    {
        var p = pattern.Split('.');
        var f = filter.Split('.');
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == ">")
            {
                return i < f.Length;
            }

            if (i >= f.Length || f[i] == ">")
            {
                return false;
            }

            if (p[i] != "*" && p[i] != f[i])
            {
                return false;
            }
        }

        return p.Length == f.Length;
    }
}
