using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RosterBridge.Daemon;

/// <summary>Where the daemon listens: <c>unix:///path</c> or <c>tcp://host:port</c>.</summary>
internal sealed record DaemonEndpoint(string Scheme, string Address, int Port)
{
    public bool IsUnix => Scheme == "unix";

    public static bool TryParse(string text, out DaemonEndpoint endpoint, out string problem)
    {
        endpoint = null!;
        if (text.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = text["unix://".Length..];
            if (path.Length == 0 || path[0] != '/')
            {
                problem = $"'{text}' needs an absolute socket path, as in unix:///run/vmsig/vmsig.sock";
                return false;
            }

            endpoint = new DaemonEndpoint("unix", path, 0);
            problem = string.Empty;
            return true;
        }

        if (text.StartsWith("tcp://", StringComparison.Ordinal)
            && Uri.TryCreate(text, UriKind.Absolute, out var uri)
            && uri.Host.Length > 0 && uri.Port is > 0 and <= 65535
            && uri.AbsolutePath is "/" or "")
        {
            endpoint = new DaemonEndpoint("tcp", uri.IdnHost, uri.Port);
            problem = string.Empty;
            return true;
        }

        problem = $"'{text}' is not unix:///PATH or tcp://HOST:PORT";
        return false;
    }

    public EndPoint ToEndPoint() => IsUnix
        ? new UnixDomainSocketEndPoint(Address)
        : IPAddress.TryParse(Address, out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Address, Port);

    public Socket CreateSocket() => IsUnix
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

    public override string ToString() =>
        IsUnix ? $"unix://{Address}" : string.Create(CultureInfo.InvariantCulture, $"tcp://{Address}:{Port}");
}
