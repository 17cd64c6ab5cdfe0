using System.Buffers;
using System.Net.Sockets;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using Xunit;

namespace RosterBridge.Tests.Simulate;

/// <summary>A bare subscriber over a real socket: sends HELLO (or any bytes) and decodes frames with the Frames code.</summary>
internal sealed class RawSubscriber : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawSubscriber(Socket socket) => _socket = socket;

    public static async Task<RawSubscriber> ConnectAsync(DaemonEndpoint endpoint, Capabilities caps = Capabilities.Roster, bool hello = true)
    {
        var socket = endpoint.CreateSocket();
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await socket.ConnectAsync(endpoint.ToEndPoint(), timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var subscriber = new RawSubscriber(socket);
        if (hello)
        {
            var frame = new byte[EventWriter.WireSize];
            EventWriter.WriteHello(frame, caps);
            await subscriber.SendAsync(frame);
        }

        return subscriber;
    }

    public async Task SendAsync(byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>The next frame, or null when the daemon closed the connection. Throws on timeout.</summary>
    public async Task<SimFrame?> ReadAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
            switch (FrameReader.TryRead(ref buffer, out var body, out var length))
            {
                case FrameParseResult.Frame:
                    var bytes = body.ToArray();
                    _start = _end - (int)buffer.Length;
                    return new SimFrame(
                        EventHeader.Read(bytes),
                        bytes[VmsigWire.EventHeaderSize..]);
                case FrameParseResult.InvalidLength:
                    throw new InvalidDataException($"frame length {length} out of range");
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            int read;
            try
            {
                read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, deadline.Token);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                read = 0;
            }

            if (read == 0)
            {
                return _end == _start ? null : throw new EndOfStreamException("closed inside a frame");
            }

            _end += read;
        }
    }

    /// <summary>The next frame, which must be there.</summary>
    public async Task<SimFrame> ReadFrameAsync(TimeSpan? timeout = null) =>
        await ReadAsync(timeout) ?? throw new EndOfStreamException("the daemon closed the connection");

    /// <summary>WELCOME, the replay and SYNC.</summary>
    public async Task<(SimFrame Welcome, List<SimFrame> Replay, SimFrame Sync)> ReadHandshakeAsync()
    {
        var welcome = await ReadFrameAsync();
        Assert.Equal(EventType.Welcome, welcome.Type);
        var replay = new List<SimFrame>();
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame.Type == EventType.Sync)
            {
                return (welcome, replay, frame);
            }

            replay.Add(frame);
        }
    }

    /// <summary>Reads the next roster frame, skipping others (MEMCTX).</summary>
    public async Task<SimFrame> ReadRosterAsync()
    {
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame.Type == EventType.Roster)
            {
                return frame;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
