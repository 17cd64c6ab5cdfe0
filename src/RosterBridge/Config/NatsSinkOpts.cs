using RosterBridge.Payload;

namespace RosterBridge.Config;

internal sealed record NatsSinkOpts
{
    private readonly BrokerUrls? _servers;

    /// <summary>The first server of <see cref="Servers"/> (its scheme is every server's).</summary>
    public required BrokerUrl Url { get; init; }

    /// <summary>Every server the client may connect to, <see cref="Url"/> first; by default <see cref="Url"/> alone.</summary>
    public IReadOnlyList<BrokerUrl> Servers { get => _servers?.Items ?? [Url]; init => _servers = new BrokerUrls(value); }

    /// <summary>The servers as NATS clients take them and logs show them: <c>nats://a:4222,nats://b:4222</c>.</summary>
    public string ServerList => string.Join(",", Servers.Select(server => server.ToString("nats")));

    /// <summary>The replicas of a stream or KV bucket the bridge creates; an existing one with fewer is reported, never changed.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>Subjects are <c>{SubjectPrefix}.{node}.roster.{endpoint}</c>.</summary>
    public string SubjectPrefix { get; init; } = "vmsig";

    public string Stream { get; init; } = "VMSIG_ROSTER";

    /// <summary>Stream mode writes into <see cref="Stream"/>; KV mode writes the keys <c>{node}.{endpoint}</c> of <see cref="Bucket"/>.</summary>
    public NatsMode Mode { get; init; } = NatsMode.Stream;

    /// <summary>The KV bucket of KV mode (its stream is <c>KV_{Bucket}</c>).</summary>
    public string Bucket { get; init; } = "vmsig_roster";

    public PayloadFormat Format { get; init; } = PayloadFormat.MessagePack;

    public string? Username { get; init; }

    public Secret? Password { get; init; }

    public Secret? Token { get; init; }

    /// <summary>A file holding an NKey seed.</summary>
    public string? NKeyFile { get; init; }

    /// <summary>A user JWT <c>.creds</c> file.</summary>
    public string? CredsFile { get; init; }

    public TlsFiles Tls { get; init; } = TlsFiles.None;

    /// <summary>A publish not acknowledged within this time counts as a dead connection.</summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Slots published concurrently (each slot has at most one publish in flight).</summary>
    public int MaxInFlight { get; init; } = 16;
}
