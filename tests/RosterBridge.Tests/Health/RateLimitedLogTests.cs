using Microsoft.Extensions.Logging;
using RosterBridge.Health;
using Xunit;

namespace RosterBridge.Tests.Health;

public class RateLimitedLogTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ListLogger _logger = new();
    private readonly RateLimitedLog _log;

    public RateLimitedLogTests()
    {
        _log = new RateLimitedLog(_logger, perWindow: 3, window: Window, time: _time);
    }

    private IEnumerable<string> Messages => _logger.Lines.Select(line => line.Message);

    [Fact]
    public void First_N_per_window_are_written_as_warnings_then_suppressed()
    {
        var written = Enumerable.Range(1, 6).Select(i => _log.Warn($"bad {i}")).ToList();

        Assert.Equal([true, true, true, false, false, false], written);
        Assert.Equal(["bad 1", "bad 2", "bad 3"], Messages);
        Assert.All(_logger.Lines, line => Assert.Equal(LogLevel.Warning, line.Level));
        Assert.Equal(3, _log.Suppressed);
    }

    [Fact]
    public void Still_suppressed_just_before_the_window_ends()
    {
        for (var i = 0; i < 4; i++)
        {
            _log.Warn("flood");
        }

        _time.Advance(Window - TimeSpan.FromTicks(1));

        Assert.False(_log.Warn("late"));
        Assert.Equal(2, _log.Suppressed);
    }

    [Fact]
    public void New_window_writes_again_and_says_how_many_were_held_back()
    {
        for (var i = 0; i < 5; i++)
        {
            _log.Warn($"bad {i}");
        }

        _time.Advance(Window);

        Assert.True(_log.Warn("after"));
        Assert.Equal(["bad 0", "bad 1", "bad 2", "2 more bad-input warnings were held back in the last window", "after"], Messages);
        Assert.Equal(2, _log.Suppressed);
    }

    [Fact]
    public void New_window_after_a_quiet_one_has_no_held_back_line()
    {
        _log.Warn("one");
        _log.Warn("two");

        _time.Advance(Window * 3);

        Assert.True(_log.Warn("three"));
        Assert.Equal(["one", "two", "three"], Messages);
        Assert.Equal(0, _log.Suppressed);
    }

    [Fact]
    public void Each_window_has_its_own_allowance_and_suppressed_is_a_running_total()
    {
        for (var window = 0; window < 3; window++)
        {
            var written = Enumerable.Range(0, 5).Count(_ => _log.Warn("x"));
            Assert.Equal(3, written);
            _time.Advance(Window);
        }

        Assert.Equal(6, _log.Suppressed);
        Assert.Equal(2, Messages.Count(m => m.StartsWith("2 more", StringComparison.Ordinal)));
    }

    [Fact]
    public void Window_starts_at_construction_not_at_the_first_warning()
    {
        _time.Advance(Window - TimeSpan.FromSeconds(1));
        for (var i = 0; i < 3; i++)
        {
            _log.Warn("x");
        }

        Assert.False(_log.Warn("x"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_log.Warn("x"));
    }

    [Fact]
    public void Defaults_allow_ten_per_window()
    {
        var log = new RateLimitedLog(_logger, time: _time);

        var written = Enumerable.Range(0, 12).Count(_ => log.Warn("x"));

        Assert.Equal(10, written);
        Assert.Equal(2, log.Suppressed);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(log.Warn("x"));
    }

    [Fact]
    public void Message_text_is_logged_as_is_not_as_a_template()
    {
        Assert.True(_log.Warn("endpoint {Endpoint} {0} broke"));

        Assert.Equal("endpoint {Endpoint} {0} broke", Assert.Single(Messages));
    }
}
