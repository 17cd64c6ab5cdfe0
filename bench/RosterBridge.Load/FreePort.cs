using System.Net;
using System.Net.Sockets;

namespace RosterBridge.Load;

internal static class FreePort
{
    /// <summary>A loopback TCP port free right now (the kernel's pick).</summary>
    public static int Next()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
