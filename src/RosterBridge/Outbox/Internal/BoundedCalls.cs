namespace RosterBridge.Outbox.Internal;

/// <summary>
/// Calls into a client library, each on the thread pool with a token of its own that only its time
/// limit cancels, and waited on until that limit or the caller's cancellation, whichever is first.
/// Cancelling the caller's token then never runs the library's cancellation callbacks (which can
/// block on a hung socket), and a call that ignores its token holds up nothing but a pool thread.
/// </summary>
internal sealed class BoundedCalls(TimeSpan limit, TimeProvider time)
{
    public TimeSpan Limit => limit;

    /// <summary>Starts the call; its token is cancelled after <paramref name="within"/> (default: the limit).</summary>
    public Task<T> Start<T>(Func<CancellationToken, Task<T>> call, TimeSpan? within = null)
    {
        var timeout = new CancellationTokenSource(within ?? limit, time);
        var task = Task.Run(() => call(timeout.Token), CancellationToken.None);
        _ = task.ContinueWith(_ => timeout.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>Runs the call and waits for it at most <paramref name="within"/> (default: the limit), or until <paramref name="cancellationToken"/>.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken, TimeSpan? within = null) =>
        await Start(call, within).WaitAsync(within ?? limit, time, cancellationToken);

    public Task RunAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken, TimeSpan? within = null) =>
        RunAsync(async token => { await call(token); return true; }, cancellationToken, within);

    /// <summary>What went wrong, for a log line: a time limit says so.</summary>
    public string Describe(Exception ex) => ex is TimeoutException or OperationCanceledException
        ? $"no answer within {limit.TotalSeconds:F0} s"
        : ex.Message;

    /// <summary>
    /// A fault of the program or its installation (a missing or broken library, a bug), which no
    /// reconnect can cure: it stops the bridge (exit code 1) instead of being retried for ever.
    /// </summary>
    public static bool IsDefect(Exception ex) =>
        ex is TypeLoadException or BadImageFormatException or MissingMemberException or FileLoadException
            or NullReferenceException or InvalidCastException or IndexOutOfRangeException
        || (ex is FileNotFoundException { FileName: { } file } && file.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        || (ex.InnerException is { } inner && IsDefect(inner));
}
