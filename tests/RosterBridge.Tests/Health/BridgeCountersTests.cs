using RosterBridge.Health;
using Xunit;

namespace RosterBridge.Tests.Health;

public class BridgeCountersTests
{
    [Fact]
    public void Each_counter_counts_its_own_event()
    {
        var counters = new BridgeCounters();

        counters.Frame();
        counters.Frame();
        counters.RosterEvent();
        counters.Skipped();
        counters.Skipped();
        counters.Skipped();
        counters.ProtocolError();
        counters.DaemonConnected();
        counters.Synced();
        counters.Synced();

        Assert.Equal(2, counters.Frames);
        Assert.Equal(1, counters.RosterEvents);
        Assert.Equal(3, counters.SkippedEvents);
        Assert.Equal(1, counters.ProtocolErrors);
        Assert.Equal(1, counters.DaemonConnections);
        Assert.Equal(2, counters.Syncs);
        Assert.Equal(0, counters.Rejected);
    }

    [Fact]
    public void Rejected_is_the_sum_of_the_bad_input_counters()
    {
        var counters = new BridgeCounters();

        counters.RejectedEndpoint();
        counters.RejectedAction();
        counters.RejectedAction();
        counters.RejectedLength();
        counters.RejectedLength();
        counters.RejectedLength();
        counters.RejectedStale();
        counters.ProtocolError(); // not bad input: a dropped connection

        Assert.Equal(1, counters.BadEndpoint);
        Assert.Equal(2, counters.BadAction);
        Assert.Equal(3, counters.BadLength);
        Assert.Equal(1, counters.Stale);
        Assert.Equal(7, counters.Rejected);
    }

    [Fact]
    public void Counts_from_many_threads_are_exact()
    {
        var counters = new BridgeCounters();

        Parallel.For(0, 10_000, _ => counters.Frame());

        Assert.Equal(10_000, counters.Frames);
    }
}
