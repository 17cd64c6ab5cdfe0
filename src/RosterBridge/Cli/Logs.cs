using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace RosterBridge.Cli;

internal static class Logs
{
    public static ILoggerFactory Create(IConfiguration? config)
    {
        var levelText = config?["Logging:Level"];
        var level = Enum.TryParse<LogLevel>(levelText, ignoreCase: true, out var parsed) ? parsed : LogLevel.Information;
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            // The client libraries' own chatter about each reconnect attempt repeats ours.
            .AddFilter("NATS", LogLevel.Warning)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            }));
    }
}
