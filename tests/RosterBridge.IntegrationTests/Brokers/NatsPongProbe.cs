using System.Net.Sockets;
using System.Text;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// Readiness probe run from the host: connects to the mapped port, expects the server's
/// <c>INFO</c> line, sends <c>CONNECT</c> and <c>PING</c>, and expects <c>PONG</c>.
/// A port that merely accepts TCP does not count.
/// </summary>
public sealed class NatsPongProbe : IWaitUntil
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);
    private static readonly byte[] ConnectAndPing =
        Encoding.ASCII.GetBytes("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"rb-probe\"}\r\nPING\r\n");

    private readonly int _containerPort;
    private readonly bool _tls;

    /// <summary>Probes the given container port through its host mapping.</summary>
    /// <param name="containerPort">The NATS client port inside the container.</param>
    /// <param name="tls">The server requires TLS (and authentication): its INFO line is enough to know it is up.</param>
    public NatsPongProbe(int containerPort, bool tls = false)
    {
        _containerPort = containerPort;
        _tls = tls;
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
            var received = new StringBuilder();
            var buffer = new byte[4096];
            var sentPing = false;
            while (true)
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return false;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                var text = received.ToString();
                if (!sentPing && text.Contains("\r\n", StringComparison.Ordinal))
                {
                    if (!text.StartsWith("INFO ", StringComparison.Ordinal))
                    {
                        return false;
                    }

                    if (_tls)
                    {
                        return true;
                    }

                    await stream.WriteAsync(ConnectAndPing, timeout.Token);
                    sentPing = true;
                }

                if (sentPing && text.Contains("\r\nPONG\r\n", StringComparison.Ordinal))
                {
                    return true;
                }

                if (text.Contains("-ERR", StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
