using System.Diagnostics;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>Waits on conditions by polling them; tests use this instead of fixed sleeps.</summary>
public static class Retry
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Polls <paramref name="condition"/> (first at once, then with short growing delays up to
    /// 250 ms) until it returns true. An exception thrown by the condition counts as "not yet";
    /// the last one is kept as the inner exception of the timeout.
    /// </summary>
    /// <param name="condition">The condition to await.</param>
    /// <param name="timeout">How long to keep polling.</param>
    /// <param name="description">What is awaited, for the timeout message (defaults to the caller's expression).</param>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    public static async Task Until(
        Func<Task<bool>> condition,
        TimeSpan timeout,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string? description = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var stopwatch = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(10);
        Exception? lastError = null;
        var attempts = 0;
        while (true)
        {
            attempts++;
            try
            {
                if (await condition())
                {
                    return;
                }

                lastError = null;
            }
#pragma warning disable CA1031 // A failing attempt is "not yet"; the last failure is reported on timeout.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                lastError = ex;
            }

            var remaining = timeout - stopwatch.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                var message = $"Timed out after {stopwatch.Elapsed.TotalSeconds:0.0} s ({attempts} attempts) waiting for: {description ?? "a condition"}"
                    + (lastError is null ? string.Empty : $" (last attempt threw {lastError.GetType().Name}: {lastError.Message})");
                throw new TimeoutException(message, lastError);
            }

            await Task.Delay(delay < remaining ? delay : remaining);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
        }
    }

    /// <summary>Synchronous-condition overload of <see cref="Until(Func{Task{bool}}, TimeSpan, string?)"/>.</summary>
    /// <param name="condition">The condition to await.</param>
    /// <param name="timeout">How long to keep polling.</param>
    /// <param name="description">What is awaited, for the timeout message.</param>
    public static Task Until(
        Func<bool> condition,
        TimeSpan timeout,
        [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string? description = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return Until(() => Task.FromResult(condition()), timeout, description);
    }
}
