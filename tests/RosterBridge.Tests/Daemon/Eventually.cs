using System.Diagnostics;
using Xunit;

namespace RosterBridge.Tests.Daemon;

/// <summary>Waits for a condition by polling it (1 ms at first, then up to 20 ms), with a generous limit.</summary>
internal static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    public static async Task UntilAsync(Func<bool> condition, string what, Func<string>? state = null)
    {
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(1);
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > Limit)
            {
                Assert.Fail($"waited {Limit.TotalSeconds:F0} s in vain until {what}{(state is null ? string.Empty : $" ({state()})")}");
            }

            await Task.Delay(pause);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromMilliseconds(20).Ticks));
        }
    }
}
