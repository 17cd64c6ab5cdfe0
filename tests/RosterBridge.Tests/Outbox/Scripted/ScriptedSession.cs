using System.Threading.Channels;
using RosterBridge.Outbox;

namespace RosterBridge.Tests.Outbox.Scripted;

/// <summary>
/// A broker connection whose read-backs and publishes wait for the test. A publish acknowledged
/// by the test lands on the broker only while the session is open, as with a real client: once
/// the runner dropped the session, its connection is gone.
/// </summary>
internal sealed class ScriptedSession : BrokerSession
{
    private static int _count;
    private readonly ScriptedSink _sink;
    private readonly CancellationTokenSource _lost = new();
    private int _disposed;
    private int _offline;

    public ScriptedSession(ScriptedSink sink)
    {
        _sink = sink;
        Id = Interlocked.Increment(ref _count);
    }

    public int Id { get; }

    public Channel<ScriptedCall<bool>> ReadBacks { get; } = Channel.CreateUnbounded<ScriptedCall<bool>>();

    public Channel<(PublishJob Job, ScriptedCall<bool> Call)> Publishes { get; } = Channel.CreateUnbounded<(PublishJob, ScriptedCall<bool>)>();

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public bool SaidOffline => Volatile.Read(ref _offline) != 0;

    public override CancellationToken Lost => _lost.Token;

    /// <summary>The client library reports the connection lost.</summary>
    public void Drop() => _lost.Cancel();

    public override async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        var call = new ScriptedCall<bool>($"read-back on session {Id}", cancellationToken);
        ReadBacks.Writer.TryWrite(call);
        await Await(call, cancellationToken);
    }

    public override async Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken)
    {
        var call = new ScriptedCall<bool>($"publish of endpoint {job.Endpoint} on session {Id}", cancellationToken);
        Publishes.Writer.TryWrite((job, call));
        var sent = await Await(call, cancellationToken);
        if (IsDisposed)
        {
            throw new ObjectDisposedException($"session {Id}", "the connection was dropped");
        }

        _sink.Broker.Entries[job.Endpoint] = job.State.IsOccupied ? job.State.Datum.Vmid : 0;
        return sent;
    }

    public override Task GoOfflineAsync(CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _offline, 1);
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        _lost.Cancel();
        return ValueTask.CompletedTask;
    }

    private async Task<bool> Await(ScriptedCall<bool> call, CancellationToken cancellationToken) =>
        _sink.HonourTokens ? await call.Result.WaitAsync(cancellationToken) : await call.Result;
}
