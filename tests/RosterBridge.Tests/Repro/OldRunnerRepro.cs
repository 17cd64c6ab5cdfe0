using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Roster;
using Xunit;

namespace RosterBridge.Tests.Repro;

// Reproductions against the pre-session API (temporary: kept only to record how the old code fails).
public class OldRunnerRepro
{
    private sealed class OldScriptedSink : RosterSink
    {
        public int Connection;
        public readonly Dictionary<int, uint> Broker = new();
        public readonly ManualResetEventSlim FirstPublishEntered = new();
        public readonly ManualResetEventSlim ReleaseFirstPublish = new();
        public TaskCompletionSource ReadBackGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int ReadBacks;
        public int Publishes;
        private CancellationTokenSource _lost = new();
        public override string Name => "scripted";
        public override string Target => "scripted://";
        public override Task<CancellationToken> ConnectAsync(CancellationToken cancellationToken)
        {
            if (!_lost.IsCancellationRequested && Connection > 0) return Task.FromResult(_lost.Token);
            _lost = new CancellationTokenSource();
            Connection++;
            return Task.FromResult(_lost.Token);
        }
        public override async Task ReadBackAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref ReadBacks);
            await ReadBackGate.Task.WaitAsync(CancellationToken.None);
        }
        public override Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken)
        {
            if (job.Endpoint == 6 && Interlocked.Increment(ref Publishes) == 1)
            {
                return Task.FromException<bool>(new InvalidOperationException("the broker did not acknowledge"));
            }
            if (job.Endpoint == 5 && job.State.Datum.Vmid == 100)
            {
                // The thread-pool item of the first publish starts late: it reads the sink's
                // connection only after the runner gave up on it and reconnected.
                FirstPublishEntered.Set();
                ReleaseFirstPublish.Wait(CancellationToken.None);
            }
            var connection = Connection; // as MqttSink reads _client at call time
            lock (Broker) { Broker[job.Endpoint] = job.State.Datum.Vmid; }
            return Task.FromResult(true);
        }
        public override Task DisconnectAsync() { _lost.Cancel(); return Task.CompletedTask; }
        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private static SlotState State(uint vmid) => new(Datums.Attach(vmid, 3), RosterAction.Attach, vmid, vmid);

    [Fact]
    public async Task A_publish_that_starts_late_lands_on_the_next_connection_after_a_newer_state()
    {
        var sink = new OldScriptedSink();
        sink.ReadBackGate.SetResult();
        var outbox = new SinkOutbox();
        var runner = new SinkRunner(sink, outbox, 2, TimeSpan.FromMilliseconds(300),
            new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);
        outbox.Offer(5, State(100));
        sink.FirstPublishEntered.Wait(TimeSpan.FromSeconds(10));
        outbox.Offer(5, State(200));
        outbox.Offer(6, State(300)); // fails once: the session is lost, the runner reconnects // newer state while the first publish hangs
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(sink.Connection >= 2 && outbox.PendingCount == 0) && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(200u, sink.Broker[5]); // the newer state was acknowledged on connection 2
        sink.ReleaseFirstPublish.Set();    // the abandoned publish of 100 now runs
        deadline = DateTime.UtcNow.AddSeconds(2);
        while (sink.Broker[5] == 200 && DateTime.UtcNow < deadline) await Task.Delay(10);
        await stop.CancelAsync();
        await running;
        Assert.Equal(200u, sink.Broker[5]);
    }

    [Fact]
    public async Task A_sweep_requested_during_a_read_back_is_not_lost()
    {
        var sink = new OldScriptedSink();
        var outbox = new SinkOutbox();
        var runner = new SinkRunner(sink, outbox, 1, TimeSpan.FromSeconds(30),
            new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) }, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (sink.ReadBacks < 1 && DateTime.UtcNow < deadline) await Task.Delay(10);
        runner.RequestSweep(); // the broker may have changed after the read-back began
        sink.ReadBackGate.SetResult();
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (sink.ReadBacks < 2 && DateTime.UtcNow < deadline) await Task.Delay(10);
        await stop.CancelAsync();
        await running;
        Assert.Equal(2, sink.ReadBacks);
    }
}
