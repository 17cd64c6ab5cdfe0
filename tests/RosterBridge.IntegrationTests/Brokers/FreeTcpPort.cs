using System.Net;
using System.Net.Sockets;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>Finds a TCP port that is free on the host right now.</summary>
public static class FreeTcpPort
{
    /// <summary>Returns a port no one listens on (on any address) at the time of the call.</summary>
    /// <returns>The port.</returns>
    public static int Find()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
