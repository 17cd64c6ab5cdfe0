using RosterBridge.Payload;

namespace RosterBridge.Config;

internal sealed record NatsSinkOpts
{
    public const int DefaultPort = 4222;

    public required BrokerUrl Url { get; init; }

    /// <summary>Subjects are <c>{SubjectPrefix}.{node}.roster.{endpoint}</c>.</summary>
    public string SubjectPrefix { get; init; } = "vmsig";

    public string Stream { get; init; } = "VMSIG_ROSTER";

    public PayloadFormat Format { get; init; } = PayloadFormat.MessagePack;

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>A publish not acknowledged within this time counts as a dead connection.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Slots published concurrently (each slot has at most one publish in flight).</summary>
    public int MaxInFlight { get; init; } = 16;
}
