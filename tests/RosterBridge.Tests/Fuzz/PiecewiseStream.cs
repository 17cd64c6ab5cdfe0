namespace RosterBridge.Tests.Fuzz;

/// <summary>Hands out its bytes in pieces of random size, one piece per read, as a socket does; then the end.</summary>
internal sealed class PiecewiseStream(byte[] bytes, Random random) : Stream
{
    private int _position;

    public bool AtEnd => _position == bytes.Length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var piece = Math.Min(buffer.Length, Math.Min(bytes.Length - _position, random.Next(1, 300)));
        bytes.AsSpan(_position, piece).CopyTo(buffer);
        _position += piece;
        return piece;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
