using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace RosterBridge.Cli;

internal static class Logs
{
    private const string UtcTimestamp = "yyyy-MM-ddTHH:mm:ss.fffZ";

    /// <summary>
    /// The console log, the client libraries' and the host's chatter left out. <paramref name="json"/>:
    /// one JSON object per line (the console JSON formatter). Otherwise one line per entry with a UTC
    /// timestamp, without colours when redirected; or, to the journal (<see cref="ToJournal"/>), with its priority prefix (<c>&lt;6&gt;</c> information,
    /// <c>&lt;4&gt;</c> warning, ...) and no timestamp, which the journal adds itself.
    /// </summary>
    public static ILoggingBuilder AddBridgeConsole(ILoggingBuilder builder, LogLevel level, bool json)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder
            .SetMinimumLevel(level)
            // The client libraries' own chatter about each reconnect attempt repeats ours.
            .AddFilter("NATS", LogLevel.Warning)
            // The bridge says itself what starting and stopping did (and why it failed, in one line).
            .AddFilter("Microsoft.Hosting", LogLevel.None)
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None)
            .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = UtcTimestamp + " ";
                console.UseUtcTimestamp = true;
            })
            .AddJsonConsole(console =>
            {
                console.TimestampFormat = UtcTimestamp;
                console.UseUtcTimestamp = true;
                console.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            })
            .AddSystemdConsole(console => console.UseUtcTimestamp = true);

        // Decided here, after the host's AddSystemd (which picks the systemd formatter under systemd, and
        // whose choice alone would turn json off there too).
        var formatter = json ? ConsoleFormatterNames.Json : ToJournal() ? ConsoleFormatterNames.Systemd : ConsoleFormatterNames.Simple;
        builder.Services.PostConfigure<ConsoleLoggerOptions>(console => console.FormatterName = formatter);
        return builder;
    }

    /// <summary>
    /// True when the output goes to the journal: a systemd service (what <c>UseSystemd</c> checks: the
    /// parent is systemd), or a process whose stdout is the stream systemd connected to the journal
    /// (<c>systemd-run</c>, a wrapper script, a container under a unit), which it names in <c>JOURNAL_STREAM</c>.
    /// </summary>
    public static bool ToJournal() =>
        SystemdHelpers.IsSystemdService() || IsJournalStream(Environment.GetEnvironmentVariable("JOURNAL_STREAM"), StdoutInode());

    /// <summary>
    /// <c>JOURNAL_STREAM</c> is <c>device:inode</c> of that stream, and is inherited by children whose stdout is
    /// elsewhere (a terminal opened from a desktop session): it counts only when stdout is that very stream,
    /// as systemd.exec(5) asks. Compared by inode, which is what <c>/proc</c> shows of a socket.
    /// </summary>
    internal static bool IsJournalStream(string? journalStream, string? stdoutInode) =>
        journalStream?.Split(':') is [_, { Length: > 0 } inode] && inode == stdoutInode;

    /// <summary>The inode of stdout when it is a socket or a pipe (<c>/proc/self/fd/1</c> links to <c>socket:[inode]</c>); else null.</summary>
    private static string? StdoutInode()
    {
        try
        {
            var target = new FileInfo("/proc/self/fd/1").LinkTarget;
            var open = target?.IndexOf('[', StringComparison.Ordinal) ?? -1;
            return target is not null && open >= 0 && target.EndsWith(']') ? target[(open + 1)..^1] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
