using CsCheck;
using RosterBridge.Reconnect;
using Xunit;

namespace RosterBridge.Tests.Reconnect;

public class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    /// <summary>The largest double below 1, the top of what <see cref="Random.NextDouble"/> returns.</summary>
    private static readonly double AlmostOne = Math.BitDecrement(1.0);

    [Fact]
    public void Ceiling_doubles_from_the_initial_delay_up_to_the_max()
    {
        var backoff = new Backoff(Initial, Max);

        var ceilings = Enumerable.Range(0, 10).Select(failures => backoff.Ceiling(failures).TotalMilliseconds);

        Assert.Equal([200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000], ceilings);
    }

    [Theory]
    [InlineData(62)]
    [InlineData(63)]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void Ceiling_after_very_many_failures_is_the_max(int failures)
    {
        Assert.Equal(Max, new Backoff(Initial, Max).Ceiling(failures));
    }

    [Fact]
    public void Delays_with_the_lowest_jitter_are_half_of_each_ceiling()
    {
        var backoff = new Backoff(Initial, Max, new FixedRandom(0.0));

        var delays = Enumerable.Range(0, 10).Select(_ => backoff.NextDelay().TotalMilliseconds);

        Assert.Equal([100, 200, 400, 800, 1600, 3200, 6400, 12800, 15000, 15000], delays);
    }

    [Fact]
    public void Delays_with_the_highest_jitter_reach_each_ceiling()
    {
        var backoff = new Backoff(Initial, Max, new FixedRandom(AlmostOne));

        var delays = Enumerable.Range(0, 10).Select(_ => backoff.NextDelay()).ToList();

        var ceilings = new[] { 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000 };
        for (var i = 0; i < ceilings.Length; i++)
        {
            Assert.InRange(delays[i], TimeSpan.FromMilliseconds(ceilings[i]) - TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(ceilings[i]));
        }
    }

    [Fact]
    public void Failures_count_each_delay_and_Reset_starts_over()
    {
        var backoff = new Backoff(Initial, Max, new FixedRandom(0.5));
        Assert.Equal(0, backoff.Failures);

        Assert.Equal(TimeSpan.FromMilliseconds(150), backoff.NextDelay());
        Assert.Equal(TimeSpan.FromMilliseconds(300), backoff.NextDelay());
        Assert.Equal(TimeSpan.FromMilliseconds(600), backoff.NextDelay());
        Assert.Equal(3, backoff.Failures);

        backoff.Reset();

        Assert.Equal(0, backoff.Failures);
        Assert.Equal(TimeSpan.FromMilliseconds(150), backoff.NextDelay());
        Assert.Equal(1, backoff.Failures);
    }

    [Fact]
    public void Failures_stop_counting_at_62_and_delays_stay_at_the_max()
    {
        var backoff = new Backoff(Initial, Max, new FixedRandom(0.0));

        for (var i = 0; i < 100; i++)
        {
            backoff.NextDelay();
        }

        Assert.Equal(62, backoff.Failures);
        Assert.Equal(TimeSpan.FromSeconds(15), backoff.NextDelay());
    }

    [Fact]
    public void Equal_initial_and_max_gives_a_constant_ceiling()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), new FixedRandom(0.0));

        Assert.All(Enumerable.Range(0, 5), _ => Assert.Equal(TimeSpan.FromMilliseconds(500), backoff.NextDelay()));
    }

    [Fact]
    public void Bad_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.Zero, Max));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(TimeSpan.FromMilliseconds(-1), Max));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Backoff(Max, Initial));
    }

    [Fact]
    public void Every_delay_is_within_half_the_ceiling_and_the_ceiling_for_configurable_limits()
    {
        // The limits ConfigLoader accepts: whole milliseconds, initial 1..60000, max up to 3600000.
        var limits = Gen.Int[1, 60_000].SelectMany(initial => Gen.Int[initial, 3_600_000].Select(max => (initial, max)));
        Gen.Select(limits, Gen.Int, Gen.Int[0, 80]).Sample((limit, seed, resetAt) =>
        {
            var backoff = new Backoff(TimeSpan.FromMilliseconds(limit.initial), TimeSpan.FromMilliseconds(limit.max), new Random(seed));
            var previousCeiling = TimeSpan.Zero;
            for (var attempt = 0; attempt < 80; attempt++)
            {
                if (attempt == resetAt)
                {
                    backoff.Reset();
                    previousCeiling = TimeSpan.Zero;
                }

                var ceiling = backoff.Ceiling(backoff.Failures);
                var delay = backoff.NextDelay();

                Assert.InRange(delay, ceiling / 2, ceiling);
                Assert.InRange(ceiling, TimeSpan.FromMilliseconds(limit.initial), TimeSpan.FromMilliseconds(limit.max));
                Assert.True(ceiling >= previousCeiling, "the ceiling never shrinks without a Reset");
                previousCeiling = ceiling;
            }

            Assert.Equal(TimeSpan.FromMilliseconds(limit.max), backoff.Ceiling(62));
        });
    }

    [Fact]
    public void Every_delay_is_within_half_the_ceiling_and_the_ceiling_for_any_tick_limits()
    {
        // Backoff takes any TimeSpan: a ceiling of an odd number of ticks must not round out of range.
        var limits = Gen.Long[1, 1_000].SelectMany(initial => Gen.Long[initial, 10_000].Select(max => (initial, max)));
        Gen.Select(limits, Gen.Double[0, 1]).Sample((limit, jitter) =>
        {
            var random = new FixedRandom(Math.Min(jitter, AlmostOne));
            var backoff = new Backoff(TimeSpan.FromTicks(limit.initial), TimeSpan.FromTicks(limit.max), random);
            for (var attempt = 0; attempt < 20; attempt++)
            {
                var ceiling = backoff.Ceiling(backoff.Failures);
                var delay = backoff.NextDelay();

                Assert.True(delay.Ticks >= ceiling.Ticks / 2 && delay <= ceiling,
                    $"delay {delay.Ticks} ticks is outside [{ceiling.Ticks / 2}, {ceiling.Ticks}] ticks");
            }
        });
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(3L)]
    [InlineData(55L)]
    [InlineData(1_000_001L)]
    public void Delay_never_exceeds_an_odd_tick_ceiling(long ceilingTicks)
    {
        // TimeSpan / 2 and TimeSpan * double round to whole ticks: with an odd ceiling, half of it
        // rounds up and the highest jitter then lands one tick above the ceiling.
        var ceiling = TimeSpan.FromTicks(ceilingTicks);
        var backoff = new Backoff(ceiling, ceiling, new FixedRandom(AlmostOne));

        var delay = backoff.NextDelay();

        Assert.True(delay <= ceiling, $"delay {delay.Ticks} ticks > ceiling {ceilingTicks} ticks");
    }

    [Fact]
    public void Ceiling_does_not_overflow_for_a_huge_max()
    {
        // Backoff takes any max >= initial; doubling toward TimeSpan.MaxValue must not wrap negative.
        var backoff = new Backoff(TimeSpan.FromTicks(3), TimeSpan.MaxValue, new FixedRandom(0.0));

        for (var failures = 0; failures <= 62; failures++)
        {
            var ceiling = backoff.Ceiling(failures);
            Assert.True(ceiling > TimeSpan.Zero, $"Ceiling({failures}) = {ceiling.Ticks} ticks");
        }

        for (var i = 0; i < 70; i++)
        {
            Assert.True(backoff.NextDelay() >= TimeSpan.Zero);
        }
    }
}
