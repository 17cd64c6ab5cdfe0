using System.Text;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// nats-server with its MQTT listener (MQTT 3.1.1 only; retained messages kept in JetStream), in a
/// container: the image of <see cref="NatsContainer"/>, started with a configuration file, since the
/// listener has no command-line flag. <see cref="BrokerContainer.Url"/> is its MQTT port.
/// </summary>
public sealed class NatsMqttContainer : BrokerContainer
{
    /// <summary>The MQTT port inside the container.</summary>
    public const int MqttPort = 1883;

    private const string ConfigPath = "/etc/nats-mqtt.conf";

    private const string Configuration = """
        server_name: "rosterbridge-test-mqtt"
        listen: "0.0.0.0:4222"
        jetstream { store_dir: "/data" }
        mqtt { listen: "0.0.0.0:1883" }

        """;

    public NatsMqttContainer()
        : base(
            ImageFromEnvironment(NatsContainer.ImageVariable, NatsContainer.DefaultImage),
            "mqtt",
            MqttPort,
            builder => builder
                .WithResourceMapping(Encoding.UTF8.GetBytes(Configuration), ConfigPath)
                .WithCommand("-c", ConfigPath)
                .WithWaitStrategy(ReadyWhen(new MqttConnackProbe(MqttPort))))
    {
    }
}
