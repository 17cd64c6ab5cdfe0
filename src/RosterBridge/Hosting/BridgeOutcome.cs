using System.Runtime.ExceptionServices;

namespace RosterBridge.Hosting;

/// <summary>
/// How the bridge ended: the first fatal error a service records (with its exit code) wins;
/// none means a clean stop. Not <see cref="Environment.ExitCode"/>: a bridge in a test process
/// must not set that process's exit code.
/// </summary>
internal sealed class BridgeOutcome
{
    private Failed? _failed;

    public int ExitCode => _failed?.ExitCode ?? ExitCodes.Ok;

    public bool HasFailed => _failed is not null;

    /// <summary>Records a fatal error; false when one was recorded already (that one stands).</summary>
    public bool Fail(int exitCode, Exception error) =>
        Interlocked.CompareExchange(ref _failed, new Failed(exitCode, ExceptionDispatchInfo.Capture(error)), null) is null;

    /// <summary>Throws the recorded error again, as it was thrown.</summary>
    public void ThrowIfFailed() => _failed?.Error.Throw();

    private sealed record Failed(int ExitCode, ExceptionDispatchInfo Error);
}
