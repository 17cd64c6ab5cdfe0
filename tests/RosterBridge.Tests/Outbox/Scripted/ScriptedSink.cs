using System.Threading.Channels;
using RosterBridge.Outbox;

namespace RosterBridge.Tests.Outbox.Scripted;

/// <summary>
/// A sink whose every connect waits for the test: <see cref="Connects"/> yields each call, and the
/// test completes it with a <see cref="ScriptedSession"/>, fails it, or leaves it hanging. Sessions
/// share one <see cref="ScriptedBroker"/>, so the test can see what a late subscriber would.
/// </summary>
internal sealed class ScriptedSink : RosterSink
{
    private int _connectCalls;

    public ScriptedBroker Broker { get; } = new();

    public Channel<ScriptedCall<BrokerSession>> Connects { get; } = Channel.CreateUnbounded<ScriptedCall<BrokerSession>>();

    public int ConnectCalls => Volatile.Read(ref _connectCalls);

    public override string Name => "scripted";

    public override string Target => "scripted://broker";

    /// <summary>Calls honour their token, as the client libraries do: a time limit fails them.</summary>
    public bool HonourTokens { get; set; } = true;

    public override async Task<BrokerSession> ConnectAsync(CancellationToken cancellationToken)
    {
        var call = new ScriptedCall<BrokerSession>($"connect {Interlocked.Increment(ref _connectCalls)}", cancellationToken);
        Connects.Writer.TryWrite(call);
        return HonourTokens ? await call.Result.WaitAsync(cancellationToken) : await call.Result;
    }

    /// <summary>A new session on this sink's broker.</summary>
    public ScriptedSession NewSession() => new(this);
}
