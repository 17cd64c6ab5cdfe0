using System.Buffers.Binary;
using System.Net.Sockets;
using RosterBridge.Frames;
using Xunit;

namespace RosterBridge.Tests.Daemon;

/// <summary>One accepted bridge connection, as a <see cref="ScriptedDaemon"/> script sees it.</summary>
internal sealed class DaemonConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationToken _stop;

    public DaemonConnection(Socket socket, int number, CancellationToken stop)
    {
        _socket = socket;
        Number = number;
        _stop = stop;
    }

    /// <summary>1 for the first connection the daemon accepted, 2 for the next, ...</summary>
    public int Number { get; }

    /// <summary>Reads the bridge's HELLO and checks that it asks for CAP_ROSTER.</summary>
    public async Task ReadHelloAsync()
    {
        var hello = new byte[EventWriter.WireSize];
        for (var read = 0; read < hello.Length;)
        {
            var n = await _socket.ReceiveAsync(hello.AsMemory(read), SocketFlags.None, _stop);
            if (n == 0)
            {
                throw new IOException("the bridge closed before its HELLO");
            }

            read += n;
        }

        var header = EventHeader.Read(hello.AsSpan(VmsigWire.LengthPrefixSize));
        Assert.Equal(EventType.Hello, header.EventType);
        var payload = hello.AsSpan(VmsigWire.LengthPrefixSize + VmsigWire.EventHeaderSize);
        Assert.Equal((ulong)Capabilities.Roster, BinaryPrimitives.ReadUInt64LittleEndian(payload[VmsigWire.HelloCapsOffset..]));
    }

    /// <summary>Sends the frames in one write.</summary>
    public Task SendAsync(params byte[][] frames) => SendAsync(frames.SelectMany(frame => frame).ToArray().AsMemory());

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        for (var sent = 0; sent < bytes.Length;)
        {
            sent += await _socket.SendAsync(bytes[sent..], SocketFlags.None, _stop);
        }
    }

    /// <summary>Keeps the connection open, silent, until the bridge closes it or the test ends.</summary>
    public async Task HoldAsync()
    {
        var ignored = new byte[256];
        while (await _socket.ReceiveAsync(ignored, SocketFlags.None, _stop) > 0)
        {
        }
    }

    /// <summary>Counts what the bridge writes after its HELLO, until it closes the connection.</summary>
    public async Task<int> CountTheRestAsync()
    {
        var buffer = new byte[256];
        var total = 0;
        int read;
        while ((read = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop)) > 0)
        {
            total += read;
        }

        return total;
    }

    public void Dispose() => _socket.Dispose();
}
