using System.Diagnostics;

namespace RosterBridge.Load;

/// <summary>Progress on stderr, with the time since the start; stdout is kept for the table.</summary>
internal static class Log
{
    private static readonly long Started = Stopwatch.GetTimestamp();

    public static void Line(string text) =>
        Console.Error.WriteLine(FormattableString.Invariant($"[load {Stopwatch.GetElapsedTime(Started).TotalSeconds,7:F1}s] {text}"));

    public static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
