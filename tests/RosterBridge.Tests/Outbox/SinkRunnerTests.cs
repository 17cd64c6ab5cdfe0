using RosterBridge.Outbox;
using RosterBridge.Tests.Outbox.Scripted;
using Xunit;
using Xunit.Abstractions;
using static RosterBridge.Tests.Outbox.Scripted.RunnerScript;

namespace RosterBridge.Tests.Outbox;

/// <summary>
/// <see cref="SinkRunner"/> driven by a scripted sink and a fake clock: connects and read-backs
/// that hang or half succeed, publishes that time out or complete after their session ended, and a
/// sweep requested in every phase.
/// </summary>
public sealed class SinkRunnerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Connects_reads_back_and_publishes_each_offered_slot_until_caught_up()
    {
        await using var script = new RunnerScript();
        script.Outbox.Offer(5, State(100));
        script.Start();
        var session = await script.ConnectAndReadBackAsync();

        var (job, call) = await script.NextAsync(session.Publishes);
        call.Succeed(true);

        Assert.Equal(5, job.Endpoint);
        Assert.True(job.BrokerStateUnknown);
        await script.UntilAsync(() => script.Outbox.IsCaughtUp);
        Assert.True(script.Runner.IsConnected);
        Assert.Equal(100u, script.Sink.Broker[5]);
    }

    [Fact]
    public async Task A_publish_not_acknowledged_in_time_drops_its_session_before_the_next_connect()
    {
        await using var script = new RunnerScript();
        script.Outbox.Offer(5, State(100));
        script.Start();
        var first = await script.ConnectAndReadBackAsync();
        _ = await script.NextAsync(first.Publishes); // never acknowledged

        var reconnect = await script.NextAsync(script.Sink.Connects, advance: Tick);

        Assert.True(first.IsDisposed, "the session whose publish timed out was dropped before the next connect");
        var second = script.Sink.NewSession();
        reconnect.Succeed(second);
        (await script.NextAsync(second.ReadBacks)).Succeed(true);
        var (job, call) = await script.NextAsync(second.Publishes);
        call.Succeed(true);
        Assert.Equal(100u, job.State.Datum.Vmid);
        await script.UntilAsync(() => script.Outbox.IsCaughtUp);
    }

    [Fact]
    public async Task A_publish_that_starts_after_its_session_was_dropped_cannot_reach_the_next_session()
    {
        // Calls that ignore their token, as a thread-pool item that has not started yet does.
        await using var script = new RunnerScript(honourTokens: false);
        script.Outbox.Offer(5, State(100));
        script.Start();
        var first = await script.ConnectAndReadBackAsync();
        var (_, late) = await script.NextAsync(first.Publishes);
        script.Outbox.Offer(5, State(200)); // newer, while 100 is stuck
        script.Outbox.Offer(6, State(300));
        var (_, failing) = await script.NextAsync(first.Publishes);
        failing.Fail(new InvalidOperationException("the broker did not accept it")); // the session is lost

        var second = await script.ConnectAsync();
        (await script.NextAsync(second.ReadBacks)).Succeed(true);
        for (var i = 0; i < 2; i++)
        {
            (await script.NextAsync(second.Publishes)).Call.Succeed(true);
        }

        await script.UntilAsync(() => script.Outbox.IsCaughtUp);
        Assert.Equal(200u, script.Sink.Broker[5]);

        late.Succeed(true); // the abandoned publish of 100 runs only now
        await script.UntilAsync(() => script.Runner.Counters.FailedPublishes >= 1);
        Assert.Equal(200u, script.Sink.Broker[5]);
        Assert.True(script.Outbox.IsCaughtUp);
    }

    [Fact]
    public async Task A_connect_that_gives_no_answer_in_time_is_dropped_when_it_completes_later_and_the_next_connect_is_new()
    {
        await using var script = new RunnerScript(honourTokens: false);
        script.Start();
        var hanging = await script.NextAsync(script.Sink.Connects);

        var next = await script.NextAsync(script.Sink.Connects, advance: Tick);
        var late = script.Sink.NewSession();
        hanging.Succeed(late); // the first connect completes after the runner gave up on it

        await script.UntilAsync(() => late.IsDisposed);
        var session = script.Sink.NewSession();
        next.Succeed(session);
        (await script.NextAsync(session.ReadBacks)).Succeed(true);
        await script.UntilAsync(() => script.Runner.IsConnected);
        Assert.False(session.IsDisposed);
    }

    [Fact]
    public async Task A_sweep_requested_during_a_read_back_is_answered_by_another_read_back_on_the_same_connection()
    {
        await using var script = new RunnerScript();
        script.Start();
        var session = await script.ConnectAsync();
        var readBack = await script.NextAsync(session.ReadBacks);

        script.Runner.RequestSweep(); // the broker may have changed after this read-back looked
        readBack.Succeed(true);

        (await script.NextAsync(session.ReadBacks, advance: Tick)).Succeed(true);
        Assert.Equal(1, script.Sink.ConnectCalls);
        Assert.False(session.IsDisposed);
    }

    [Fact]
    public async Task A_sweep_requested_while_connecting_is_answered_by_that_connections_read_back()
    {
        await using var script = new RunnerScript();
        script.Start();
        var connect = await script.NextAsync(script.Sink.Connects);
        script.Runner.RequestSweep();
        var session = script.Sink.NewSession();
        connect.Succeed(session);
        (await script.NextAsync(session.ReadBacks)).Succeed(true);
        await script.UntilAsync(() => script.Runner.IsConnected);

        // Well past the read-back interval, a publish goes through on the first round: no second read-back.
        script.Time.Advance(SinkRunner.ReadBackInterval * 3);
        script.Outbox.Offer(1, State(10));
        (await script.NextAsync(session.Publishes)).Call.Succeed(true);
        await script.UntilAsync(() => script.Outbox.IsCaughtUp);
        Assert.Equal(1, script.Runner.Counters.ReadBacks);
    }

    [Fact]
    public async Task A_sweep_lets_the_publish_in_flight_finish_then_reads_back_and_republishes_what_differs()
    {
        await using var script = new RunnerScript();
        script.Outbox.Offer(5, State(100));
        script.Start();
        var session = await script.ConnectAndReadBackAsync();
        var (_, inFlight) = await script.NextAsync(session.Publishes);

        script.Runner.RequestSweep();
        for (var i = 0; i < 12; i++)
        {
            script.Time.Advance(Tick); // past the read-back interval, not as far as the publish's time limit
            await Task.Yield();
        }

        Assert.False(session.ReadBacks.Reader.TryPeek(out _)); // not while a publish is in flight
        inFlight.Succeed(true);

        (await script.NextAsync(session.ReadBacks, advance: Tick)).Succeed(true);
        var (again, call) = await script.NextAsync(session.Publishes);
        Assert.True(again.BrokerStateUnknown); // the sink decides from the read-back whether to send it
        call.Succeed(false);
        await script.UntilAsync(() => script.Outbox.IsCaughtUp);
        Assert.Equal(1, script.Sink.ConnectCalls);
    }

    [Fact]
    public async Task Sweeps_however_many_are_requested_read_back_at_most_once_per_interval()
    {
        await using var script = new RunnerScript();
        script.Start();
        var session = await script.ConnectAndReadBackAsync();
        var start = script.Time.GetUtcNow();
        var readBacks = new List<TimeSpan> { TimeSpan.Zero };
        while (readBacks[^1] < TimeSpan.FromSeconds(60))
        {
            script.Runner.RequestSweep(); // as a daemon that syncs again and again does
            var readBack = await script.NextAsync(session.ReadBacks, advance: TimeSpan.FromMilliseconds(250));
            readBacks.Add(script.Time.GetUtcNow() - start);
            readBack.Succeed(true);
            await script.UntilAsync(() => script.Runner.Counters.Sessions == readBacks.Count);
        }

        var gaps = readBacks.Zip(readBacks.Skip(1), (a, b) => b - a).ToList();
        output.WriteLine($"read-backs at {string.Join(", ", readBacks.Select(at => $"{at.TotalSeconds:F2}"))} s; the shortest gap {gaps.Min().TotalSeconds:F2} s");
        Assert.All(gaps, gap => Assert.True(gap >= SinkRunner.ReadBackInterval, $"two read-backs {gap.TotalSeconds:F2} s apart"));
        Assert.Equal(1, script.Sink.ConnectCalls);
    }

    [Fact]
    public async Task A_publish_the_broker_refuses_as_out_of_date_reads_back_on_the_same_connection()
    {
        await using var script = new RunnerScript();
        script.Outbox.Offer(5, State(100));
        script.Start();
        var session = await script.ConnectAndReadBackAsync();
        (await script.NextAsync(session.Publishes)).Call.Fail(new BrokerChangedException("another writer"));

        (await script.NextAsync(session.ReadBacks, advance: Tick)).Succeed(true);
        (await script.NextAsync(session.Publishes)).Call.Succeed(true);
        await script.UntilAsync(() => script.Outbox.IsCaughtUp);
        Assert.Equal(1, script.Sink.ConnectCalls);
        Assert.Contains(script.Log.Lines, line => line.Message.Contains("another writer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_connection_lost_while_reading_back_reconnects_with_a_new_session()
    {
        await using var script = new RunnerScript();
        script.Start();
        var first = await script.ConnectAsync();
        _ = await script.NextAsync(first.ReadBacks);
        first.Drop();

        var second = await script.ConnectAsync();
        Assert.True(first.IsDisposed);
        (await script.NextAsync(second.ReadBacks)).Succeed(true);
        await script.UntilAsync(() => script.Runner.IsConnected);
    }

    [Fact]
    public async Task Stopping_says_offline_on_the_open_session_then_drops_it()
    {
        await using var script = new RunnerScript();
        script.Start();
        var session = await script.ConnectAndReadBackAsync();
        await script.UntilAsync(() => script.Runner.IsConnected);

        await script.StopAsync();

        Assert.True(session.SaidOffline);
        Assert.True(session.IsDisposed);
        Assert.False(script.Runner.IsConnected);
    }

    [Fact]
    public async Task A_broker_set_up_wrong_at_a_read_back_stops_the_runner_after_saying_offline()
    {
        await using var script = new RunnerScript();
        script.Start();
        var session = await script.ConnectAsync();
        (await script.NextAsync(session.ReadBacks)).Fail(new SinkConfigException("stream X exists but max_age is 60s"));

        await Assert.ThrowsAsync<SinkConfigException>(() => script.Running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(session.SaidOffline);
        Assert.True(session.IsDisposed);
    }
}
