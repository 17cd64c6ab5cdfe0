using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Daemon;
using RosterBridge.Hosting;
using RosterBridge.Simulate;
using System.Collections.Concurrent;
using Xunit;

namespace RosterBridge.Tests.Hosting;

/// <summary>The bridge's hosted services in a host of their own: how a fatal error ends the bridge.</summary>
public sealed class BridgeServicesTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("rbhost-").FullName;
    private readonly Lines _log = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_unexpected_error_in_the_daemon_reader_stops_the_bridge_with_one_line()
    {
        // A path the kernel does not take, past the configuration's check: the socket library throws.
        var bridge = Bridge(new DaemonEndpoint("unix", "/tmp/" + new string('x', 120), 0));

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => bridge.RunAsync(CancellationToken.None).WaitAsync(Patience));

        var critical = Assert.Single(_log.All, line => line.Level == LogLevel.Critical);
        Assert.StartsWith("unexpected failure in the daemon reader: ArgumentOutOfRangeException: ", critical.Message, StringComparison.Ordinal);
        Assert.Contains(error.Message.Split('\n')[0].Trim(), critical.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_that_refuses_stops_the_bridge_with_its_message()
    {
        await using var daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_dir, "vmsig.sock"), 0), RefuseRoster = true, Quiet = true });
        await daemon.StartAsync();
        var bridge = Bridge(daemon.Endpoint);

        await Assert.ThrowsAsync<DaemonRefusedException>(() => bridge.RunAsync(CancellationToken.None).WaitAsync(Patience));

        var critical = Assert.Single(_log.All, line => line.Level == LogLevel.Critical);
        Assert.Contains("capability refused", critical.Message, StringComparison.Ordinal);
        Assert.EndsWith("; stopping (check the daemon's policy for this subscriber)", critical.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelled_it_stops_cleanly()
    {
        await using var daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_dir, "vmsig.sock"), 0), Quiet = true });
        await daemon.StartAsync();
        var bridge = Bridge(daemon.Endpoint);
        using var stop = new CancellationTokenSource();

        var running = bridge.RunAsync(stop.Token);
        while (!bridge.Daemon.IsLive && !running.IsCompleted)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10)).WaitAsync(Patience);
        }

        await stop.CancelAsync();
        await running.WaitAsync(Patience);
        Assert.DoesNotContain(_log.All, line => line.Level >= LogLevel.Error);
    }

    private Bridge Bridge(DaemonEndpoint daemon) => new(
        new BridgeOpts
        {
            Node = "hosting",
            Daemon = daemon,
            Reconnect = new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) },
            Health = new HealthOpts { Port = 0 },
        },
        LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(_log)));

    /// <summary>Every line logged, from any thread.</summary>
    private sealed class Lines : ILogger, ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _lines = new();

        public IReadOnlyCollection<(LogLevel Level, string Message)> All => _lines;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue((logLevel, formatter(state, exception)));

        public void Dispose()
        {
        }
    }
}
