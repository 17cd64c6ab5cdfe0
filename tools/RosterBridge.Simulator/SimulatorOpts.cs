using RosterBridge.Daemon;

namespace RosterBridge.Simulate;

/// <summary>How the daemon emulator listens, behaves and (for the command) generates events.</summary>
internal sealed record SimulatorOpts
{
    public static readonly DaemonEndpoint DefaultListen = new("unix", "/run/vmsig/vmsig.sock", 0);

    /// <summary>Where to listen; <c>tcp://host:0</c> binds an ephemeral port (see <see cref="SimulatedDaemon.Endpoint"/>).</summary>
    public DaemonEndpoint Listen { get; init; } = DefaultListen;

    /// <summary>The WELCOME session id; random (never 0) when not given.</summary>
    public ulong? SessionId { get; init; }

    /// <summary>Answer every HELLO with ERROR code 1 (capability refused) and close.</summary>
    public bool RefuseRoster { get; init; }

    /// <summary>The generator's seed; random (and printed) when not given.</summary>
    public int? Seed { get; init; }

    /// <summary>How many VMs are attached before the first subscriber connects.</summary>
    public int Vms { get; init; } = 12;

    /// <summary>Steady events per second after the burst; 0 for none.</summary>
    public double Rate { get; init; } = 2;

    /// <summary>Churn events emitted as fast as possible once a subscriber has synced.</summary>
    public long Burst { get; init; }

    /// <summary>No line per event.</summary>
    public bool Quiet { get; init; }

    /// <summary>
    /// Bytes a subscriber may have outstanding before emitters wait for it (backpressure); they resume
    /// at half. More than a whole handshake (WELCOME, 64 replayed slots, SYNC: about 5 KiB).
    /// </summary>
    public int MaxBufferedBytes { get; init; } = 1024 * 1024;

    /// <summary>A subscriber that stays behind this long is dropped, so one stuck reader cannot stall the daemon for good.</summary>
    public TimeSpan SlowSubscriberTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection that sends no whole HELLO within this time is closed.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
