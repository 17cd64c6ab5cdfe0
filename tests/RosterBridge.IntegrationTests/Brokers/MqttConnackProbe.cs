using System.Net.Sockets;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// Readiness probe run from the host: connects to the mapped port, sends an MQTT 3.1.1
/// CONNECT and expects a CONNACK that accepts it. A port that merely accepts TCP (as a
/// port-forwarding proxy does before the broker listens) does not count.
/// </summary>
public sealed class MqttConnackProbe : IWaitUntil
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 30 s, client id "rb-probe".
    private static readonly byte[] Connect =
    [
        0x10, 20,
        0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02, 0x00, 30,
        0x00, 0x08, (byte)'r', (byte)'b', (byte)'-', (byte)'p', (byte)'r', (byte)'o', (byte)'b', (byte)'e',
    ];

    private static readonly byte[] Disconnect = [0xE0, 0x00];

    private readonly int _containerPort;
    private readonly bool _acceptRefusal;

    /// <summary>Probes the given container port through its host mapping.</summary>
    /// <param name="containerPort">The MQTT port inside the container.</param>
    /// <param name="acceptRefusal">Any CONNACK means ready, a refusal too (a broker with no anonymous access refuses the probe).</param>
    public MqttConnackProbe(int containerPort, bool acceptRefusal = false)
    {
        _containerPort = containerPort;
        _acceptRefusal = acceptRefusal;
    }

    /// <inheritdoc/>
    public async Task<bool> UntilAsync(IContainer container)
    {
        ArgumentNullException.ThrowIfNull(container);
        using var timeout = new CancellationTokenSource(AttemptTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(container.Hostname, container.GetMappedPublicPort(_containerPort), timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(Connect, timeout.Token);
            var connack = new byte[4];
            await stream.ReadExactlyAsync(connack, timeout.Token);
            var accepted = connack[0] == 0x20 && connack[1] == 0x02 && (connack[3] == 0x00 || _acceptRefusal);
            if (accepted && connack[3] == 0x00)
            {
                await stream.WriteAsync(Disconnect, timeout.Token);
            }

            return accepted;
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or EndOfStreamException)
        {
            return false;
        }
    }
}
