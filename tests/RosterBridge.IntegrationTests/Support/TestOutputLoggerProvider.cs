using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>Sends the bridge's log to the test's output, so a failing test shows what the bridge did.</summary>
public sealed class TestOutputLoggerProvider(ITestOutputHelper output) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, categoryName);

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(ITestOutputHelper output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has ended; a late log line from a background task has nowhere to go.
            }
        }
    }
}
