namespace RosterBridge.Tests.Outbox.Scripted;

/// <summary>One call into a scripted sink or session, waiting for the test to say how it ends.</summary>
internal sealed class ScriptedCall<T>(string what, CancellationToken token)
{
    private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string What { get; } = what;

    /// <summary>The token the runner gave the call (its time limit).</summary>
    public CancellationToken Token { get; } = token;

    public Task<T> Result => _result.Task;

    public void Succeed(T value) => _result.TrySetResult(value);

    public void Fail(Exception error) => _result.TrySetException(error);

    public override string ToString() => What;
}
