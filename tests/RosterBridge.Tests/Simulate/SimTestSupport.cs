using System.Buffers.Binary;
using System.Diagnostics;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.Tests.Simulate;

/// <summary>Temp socket paths, daemons on them, and bounded waits.</summary>
internal static class SimTestSupport
{
    /// <summary>A fresh directory for a unix socket, short enough for sun_path.</summary>
    public static string NewSocketDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "rbsim-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    public static DaemonEndpoint UnixEndpoint(string directory) => new("unix", Path.Combine(directory, "vmsig.sock"), 0);

    public static DaemonEndpoint AnyTcpPort => new("tcp", "127.0.0.1", 0);

    public static async Task<SimulatedDaemon> StartAsync(SimulatorOpts opts)
    {
        var daemon = new SimulatedDaemon(opts);
        try
        {
            await daemon.StartAsync();
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }

        return daemon;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after the timeout.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > limit)
            {
                Assert.Fail($"timed out after {limit.TotalSeconds:F0} s waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    public static ulong ReadU64(byte[] payload, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(offset));

    public static uint ReadU32(byte[] payload, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(offset));

    public static ulong WelcomeSessionId(SimFrame welcome) => ReadU64(welcome.Payload, VmsigWire.WelcomeSessionIdOffset);

    public static Capabilities WelcomeCaps(SimFrame welcome) => (Capabilities)ReadU64(welcome.Payload, VmsigWire.HelloCapsOffset);

    public static ulong NowNs() => (ulong)(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
