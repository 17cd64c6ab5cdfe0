using Microsoft.Extensions.Time.Testing;
using RosterBridge.Mqtt.HomeAssistant;
using Xunit;

namespace RosterBridge.Tests.Mqtt.HomeAssistant;

/// <summary>A Home Assistant that restarts in a loop costs one republish per interval, and no birth is lost.</summary>
public sealed class BirthThrottleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new();
    private readonly BirthThrottle _births;

    public BirthThrottleTests() => _births = new BirthThrottle(Interval, _time);

    [Fact]
    public void Nothing_is_due_without_a_birth()
    {
        Assert.Null(_births.UntilDue);
        Assert.False(_births.TryTake());
    }

    [Fact]
    public void A_flood_of_births_is_one_republish_at_once_and_one_an_interval_later()
    {
        var taken = 0;
        for (var i = 0; i < 1000; i++)
        {
            _births.Request();
            taken += _births.TryTake() ? 1 : 0;
            _time.Advance(TimeSpan.FromMilliseconds(5)); // 5 s of births, every 5 ms
        }

        Assert.Equal(1, taken);
        Assert.Equal(Interval - TimeSpan.FromSeconds(5), _births.UntilDue);

        _time.Advance(Interval - TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        Assert.False(_births.TryTake());
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(_births.TryTake(), "the births after the first are answered, once");
        Assert.False(_births.TryTake());
        Assert.Null(_births.UntilDue);
    }

    [Fact]
    public void A_birth_long_after_the_last_republish_is_due_at_once()
    {
        _births.Request();
        Assert.True(_births.TryTake());
        _time.Advance(Interval * 3);

        _births.Request();

        Assert.Equal(TimeSpan.Zero, _births.UntilDue);
        Assert.True(_births.TryTake());
    }

    [Fact]
    public void A_republish_given_back_is_due_again_at_once()
    {
        _births.Request();
        Assert.True(_births.TryTake());

        _births.Untake();

        Assert.Equal(TimeSpan.Zero, _births.UntilDue);
        Assert.True(_births.TryTake());
    }
}
