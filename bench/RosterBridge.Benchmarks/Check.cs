namespace RosterBridge.Benchmarks;

/// <summary>Set-up checks: a benchmark over input that does not do what it claims measures nothing.</summary>
internal static class Check
{
    public static void Equal(long expected, long actual, string what)
    {
        if (expected != actual)
        {
            throw new InvalidOperationException($"{what}: expected {expected}, got {actual}");
        }
    }
}
