using RosterBridge.Cli;
using Xunit;

namespace RosterBridge.Tests.Cli;

public sealed class LogsTests
{
    [Theory]
    [InlineData("8:123456", "123456", true)]
    [InlineData("8:123456", "654321", false)] // inherited, for another stream
    [InlineData("8:123456", null, false)] // stdout is a terminal or a file
    [InlineData(null, "123456", false)]
    [InlineData("", "123456", false)]
    [InlineData("123456", "123456", false)] // not device:inode
    [InlineData("8:", "", false)]
    public void JOURNAL_STREAM_counts_only_when_it_names_stdout(string? journalStream, string? stdoutInode, bool toJournal) =>
        Assert.Equal(toJournal, Logs.IsJournalStream(journalStream, stdoutInode));
}
