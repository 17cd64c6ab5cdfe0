using Microsoft.Extensions.Logging;

namespace RosterBridge.Cli;

internal static class Logs
{
    /// <summary>One line per entry, UTC timestamps, on the console; the client libraries' and the host's chatter left out.</summary>
    public static ILoggingBuilder AddBridgeConsole(ILoggingBuilder builder, LogLevel level)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .SetMinimumLevel(level)
            // The client libraries' own chatter about each reconnect attempt repeats ours.
            .AddFilter("NATS", LogLevel.Warning)
            // The bridge says itself what starting and stopping did (and why it failed, in one line).
            .AddFilter("Microsoft.Hosting", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            });
    }
}
