using Microsoft.Extensions.Time.Testing;
using RosterBridge.Outbox.Internal;
using Xunit;

namespace RosterBridge.Tests.Outbox;

public class ReadBackScheduleTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_request_made_before_a_read_back_starts_is_answered_by_it()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReadBackSchedule(Interval, time);
        schedule.RequestSweep();
        schedule.RequestSweep(); // the same request: one pending is enough

        schedule.Starting();
        using var cancel = new CancellationTokenSource();
        var waiting = schedule.WaitForSweepAsync(cancel.Token);
        time.Advance(Interval * 10);

        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task A_request_after_a_read_back_started_waits_out_the_interval_since_then()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReadBackSchedule(Interval, time);
        schedule.Starting();
        time.Advance(TimeSpan.FromSeconds(2));
        schedule.RequestSweep();

        var waiting = schedule.WaitForSweepAsync(CancellationToken.None);
        Assert.Equal(TimeSpan.FromSeconds(3), schedule.UntilAllowed);
        time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_first_request_of_a_new_schedule_needs_no_wait()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReadBackSchedule(Interval, time);
        schedule.RequestSweep();

        Assert.Equal(TimeSpan.Zero, schedule.UntilAllowed);
        await schedule.WaitForSweepAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
