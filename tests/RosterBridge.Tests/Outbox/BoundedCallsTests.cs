using Microsoft.Extensions.Time.Testing;
using RosterBridge.Outbox.Internal;
using Xunit;

namespace RosterBridge.Tests.Outbox;

public class BoundedCallsTests
{
    [Fact]
    public async Task A_call_that_ignores_its_token_is_given_up_at_the_limit()
    {
        var time = new FakeTimeProvider();
        var calls = new BoundedCalls(TimeSpan.FromSeconds(10), time);
        var never = new TaskCompletionSource<bool>();
        var started = new TaskCompletionSource();

        var running = calls.RunAsync(_ => { started.SetResult(); return never.Task; }, CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        while (!running.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1)); // the wait's timer is registered just after the call starts
            await Task.Yield();
        }

        await Assert.ThrowsAsync<TimeoutException>(() => running);
        Assert.Equal("no answer within 10 s", calls.Describe(new TimeoutException()));
    }

    [Fact]
    public async Task The_calls_token_is_cancelled_at_the_limit_but_never_by_the_caller()
    {
        var time = new FakeTimeProvider();
        var calls = new BoundedCalls(TimeSpan.FromSeconds(10), time);
        var token = new TaskCompletionSource<CancellationToken>();
        using var caller = new CancellationTokenSource();

        var running = calls.RunAsync(async t => { token.SetResult(t); await Task.Delay(Timeout.Infinite, t); }, caller.Token);
        var callToken = await token.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        Assert.False(callToken.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(callToken.IsCancellationRequested);
    }

    [Theory]
    [InlineData(typeof(TypeLoadException), true)]
    [InlineData(typeof(MissingMethodException), true)]
    [InlineData(typeof(NullReferenceException), true)]
    [InlineData(typeof(InvalidOperationException), false)]
    [InlineData(typeof(IOException), false)]
    [InlineData(typeof(TimeoutException), false)]
    public void Defects_of_the_program_are_told_from_broker_trouble(Type type, bool defect)
    {
        Assert.Equal(defect, BoundedCalls.IsDefect((Exception)Activator.CreateInstance(type)!));
    }

    [Fact]
    public void A_missing_library_is_a_defect_and_a_missing_file_of_another_kind_is_not()
    {
        Assert.True(BoundedCalls.IsDefect(new FileNotFoundException("gone", "MQTTnet.dll")));
        Assert.False(BoundedCalls.IsDefect(new FileNotFoundException("gone", "/etc/rosterbridge/ca.pem")));
        Assert.True(BoundedCalls.IsDefect(new InvalidOperationException("wrapped", new TypeLoadException())));
    }
}
