using System.Text;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// An Eclipse Mosquitto MQTT broker in a container: anonymous, no persistence, logging to stderr.
/// </summary>
/// <remarks>
/// The image is <c>$ROSTERBRIDGE_TEST_MOSQUITTO_IMAGE</c>, by default the official
/// <c>eclipse-mosquitto:2</c>; scripts/podman-service.sh points it at a local image built from
/// Debian's mosquitto (scripts/build-test-images.sh) where no image can be pulled. Both are started
/// the same way: the command <c>/usr/sbin/mosquitto -c /mosquitto/config/mosquitto.conf</c> with
/// this fixture's configuration file copied in.
/// </remarks>
public class MosquittoContainer : BrokerContainer
{
    /// <summary>The environment variable naming the image.</summary>
    public const string ImageVariable = "ROSTERBRIDGE_TEST_MOSQUITTO_IMAGE";

    /// <summary>The image used when <see cref="ImageVariable"/> is not set.</summary>
    public const string DefaultImage = "eclipse-mosquitto:2";

    /// <summary>The MQTT port inside the container.</summary>
    public const int MqttPort = 1883;

    private const string ConfigPath = "/mosquitto/config/mosquitto.conf";

    private const string BaseConfiguration = """
        listener 1883 0.0.0.0
        allow_anonymous true
        # The local test image knows no other user; the official one runs as root with this too.
        user root
        persistence false
        # stderr: not block-buffered when it is a pipe, so the log is readable at once.
        log_dest stderr
        log_type all
        connection_messages true

        """;

    /// <summary>Makes a broker with the default configuration.</summary>
    public MosquittoContainer()
        : this(string.Empty)
    {
    }

    /// <summary>Makes a broker whose configuration file has extra lines appended.</summary>
    /// <param name="extraConfiguration">Lines for mosquitto.conf, e.g. "max_queued_messages 10".</param>
    protected MosquittoContainer(string extraConfiguration)
        : base(
            ImageFromEnvironment(ImageVariable, DefaultImage),
            "mqtt",
            MqttPort,
            builder => builder
                .WithResourceMapping(Encoding.UTF8.GetBytes(BaseConfiguration + extraConfiguration + "\n"), ConfigPath)
                .WithCommand("/usr/sbin/mosquitto", "-c", ConfigPath)
                .WithWaitStrategy(ReadyWhen(new MqttConnackProbe(MqttPort))))
    {
    }
}
