namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>A NATS server with JetStream enabled in a container, storing streams in /data inside it.</summary>
/// <remarks>
/// The image is <c>$ROSTERBRIDGE_TEST_NATS_IMAGE</c>, by default the official <c>nats:2.10</c>;
/// scripts/podman-service.sh points it at a local image built from Debian's nats-server
/// (scripts/build-test-images.sh) where no image can be pulled. Both have the entrypoint
/// <c>/nats-server</c>, so the container's command is the server's arguments only. The store
/// lives in the container's own file system: it survives <see cref="BrokerContainer.StopAsync"/>
/// and <see cref="BrokerContainer.StartAsync"/>, and goes with the container.
/// </remarks>
public class NatsContainer : BrokerContainer
{
    /// <summary>The environment variable naming the image.</summary>
    public const string ImageVariable = "ROSTERBRIDGE_TEST_NATS_IMAGE";

    /// <summary>The image used when <see cref="ImageVariable"/> is not set.</summary>
    public const string DefaultImage = "nats:2.10";

    /// <summary>The NATS client port inside the container.</summary>
    public const int ClientPort = 4222;

    /// <summary>JetStream's store directory inside the container.</summary>
    public const string StoreDirectory = "/data";

    /// <summary>Makes a server with JetStream enabled.</summary>
    public NatsContainer()
        : this([])
    {
    }

    /// <summary>Makes a server with extra command-line arguments (after <c>-js -sd /data</c>).</summary>
    /// <param name="extraArguments">More nats-server arguments, e.g. <c>["--max_payload", "1MB"]</c>.</param>
    protected NatsContainer(IReadOnlyList<string> extraArguments)
        : base(
            ImageFromEnvironment(ImageVariable, DefaultImage),
            "nats",
            ClientPort,
            builder => builder
                .WithCommand(["-js", "-sd", StoreDirectory, .. extraArguments])
                .WithWaitStrategy(ReadyWhen(new NatsPongProbe(ClientPort))))
    {
    }
}
