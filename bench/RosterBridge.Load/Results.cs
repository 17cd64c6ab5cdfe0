namespace RosterBridge.Load;

/// <summary>The floor of one burst size: a trivial subscriber reading the bytes, the median of the repeats.</summary>
internal sealed record FloorResult(long Events, double Ms, IReadOnlyList<double> RepeatsMs);

/// <summary>One burst through the bridge.</summary>
/// <param name="ConvergedMs">First byte written → both live subscribers hold the final roster.</param>
/// <param name="DaemonDoneMs">First byte → the last event handed to the daemon (it waits for its slowest reader).</param>
internal sealed record BurstResult(
    long Events,
    double ConvergedMs,
    double MqttConvergedMs,
    double NatsConvergedMs,
    double DaemonDoneMs,
    long MqttMessages,
    long NatsMessages,
    double BridgeCpuSeconds,
    double MosquittoCpuSeconds,
    double NatsCpuSeconds,
    double ToolCpuSeconds);

/// <summary>Trickle latency on one broker: the bridge's path beside the broker's own.</summary>
internal sealed record LatencyResult(string Broker, int Events, Stats Bridge, Stats Own);

internal sealed record ConfigResult(BuildKind Build, string Mode, string Node)
{
    public bool ModeInEffect { get; set; } = true;

    public double? StartToFirstMs { get; set; }

    public double? StartToFirstMqttMs { get; set; }

    public double? StartToFirstNatsMs { get; set; }

    /// <summary>Process start → both brokers hold the daemon's roster.</summary>
    public double? StartConvergedMs { get; set; }

    public List<BurstResult> Bursts { get; } = [];

    public List<LatencyResult> Latency { get; } = [];

    public long? PeakRssKib { get; set; }

    /// <summary>Resident memory at the end, anonymous and file-backed (what VmHWM is made of).</summary>
    public long? RssAnonKib { get; set; }

    public long? RssFileKib { get; set; }

    public int? ExitCode { get; set; }

    public long DaemonConnections { get; set; }

    public List<string> Problems { get; } = [];

    public string Label => $"{(Build == BuildKind.Jit ? "JIT" : "AOT")} {Mode}";
}

internal sealed record Machine(int Cores, string Cpu, string Memory, string Os, string Kernel, string Dotnet, string Mosquitto, string NatsServer);

internal sealed record RunResult(string Profile, Machine Machine, LoadOptions Options, IReadOnlyList<FloorResult> Floors, IReadOnlyList<ConfigResult> Configs, DateTime StartedUtc, TimeSpan Duration);
