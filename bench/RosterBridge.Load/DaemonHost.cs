using System.Diagnostics;
using RosterBridge.Daemon;
using RosterBridge.Simulate;

namespace RosterBridge.Load;

/// <summary>
/// The engine of <c>rosterbridge-sim</c>, in this process: a <see cref="SimulatedDaemon"/> on
/// a Unix socket and its <see cref="LifecycleGenerator"/>. The same seed gives the same initial
/// roster and the same churn, so every daemon of a run sends the same bytes for a burst.
/// </summary>
internal sealed class DaemonHost : IAsyncDisposable
{
    private readonly LifecycleGenerator _generator;

    /// <summary>Seq of the last ROSTER event per endpoint since <see cref="ForgetSeqs"/> (0: none).</summary>
    private readonly ulong[] _lastSeq = new ulong[Wire.Endpoints];

    private DaemonHost(SimulatedDaemon daemon, LifecycleGenerator generator, int occupied)
    {
        Daemon = daemon;
        _generator = generator;
        Occupied = occupied;
    }

    public SimulatedDaemon Daemon { get; }

    /// <summary>VMs in the roster when the daemon started listening.</summary>
    public int Occupied { get; }

    /// <summary>Bytes a subscriber gets before the first live event: WELCOME, the replay, SYNC.</summary>
    public long HandshakeBytes => (2L + Occupied) * Wire.EventBytes;

    public static async Task<DaemonHost> StartAsync(string socketPath, int seed, int vms, TimeSpan slowSubscriberTimeout, CancellationToken cancellationToken)
    {
        var opts = new SimulatorOpts
        {
            Listen = new DaemonEndpoint("unix", socketPath, 0),
            Seed = seed,
            Vms = vms,
            Rate = 0,
            Quiet = true,
            // A per-event bridge holds its reader back for as long as its brokers make it: that is
            // what it measures, so the daemon waits for it rather than dropping it.
            SlowSubscriberTimeout = slowSubscriberTimeout,
        };
        var generator = new LifecycleGenerator(seed, vms);
        var daemon = new SimulatedDaemon(opts);
        try
        {
            foreach (var change in generator.InitialRoster(vms))
            {
                if (daemon.TryApply(change) == 0)
                {
                    throw new LoadException("the simulated daemon refused its own initial roster");
                }
            }

            var occupied = daemon.Snapshot().Count(slot => slot is not null);
            await daemon.StartAsync(cancellationToken);
            return new DaemonHost(daemon, generator, occupied);
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Seqs seen so far are the daemon's, not what a subscriber's replay carried: compare them no more.</summary>
    public void ForgetSeqs() => Array.Clear(_lastSeq);

    /// <summary>
    /// Emits <paramref name="count"/> churn events as fast as the slowest subscriber takes them, on
    /// a thread of its own (the daemon blocks its caller for backpressure). Returns the timestamps
    /// just before the first event and just after the last one.
    /// </summary>
    public Task<(long First, long Last)> BurstAsync(long count, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() =>
        {
            var first = Stopwatch.GetTimestamp();
            for (long i = 0; i < count; i++)
            {
                if ((i & 0xFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                Apply(_generator.NextChurn());
            }

            return (first, Stopwatch.GetTimestamp());
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>One steady event (lifecycle transitions, attaches, detaches, renames, MEMCTX noise), noted in <paramref name="book"/>.</summary>
    public void Trickle(LatencyBook book) => book.Event(() =>
    {
        var change = _generator.Next();
        var seq = Apply(change);
        // Only an occupied slot's payload carries a seq; MEMCTX is no roster event.
        return change.Kind is SimChangeKind.Attach or SimChangeKind.Update ? seq : 0;
    });

    /// <summary>The roster now, as a subscriber should see it.</summary>
    public RosterEntry[] Expected()
    {
        var snapshot = Daemon.Snapshot();
        var expected = new RosterEntry[Wire.Endpoints];
        for (var i = 0; i < expected.Length; i++)
        {
            if (snapshot[i] is { } slot)
            {
                expected[i] = new RosterEntry(true, slot.Vmid, Frames.VmsigWire.VmStateName(slot.State), slot.WireName, _lastSeq[i]);
            }
        }

        return expected;
    }

    public async ValueTask DisposeAsync() => await Daemon.DisposeAsync();

    private ulong Apply(in SimChange change)
    {
        var seq = Daemon.TryApply(change);
        if (seq == 0)
        {
            throw new LoadException($"the simulated daemon refused a change of its own generator ({change.Kind} endpoint {change.Endpoint})");
        }

        if (change.Kind != SimChangeKind.MemCtx)
        {
            _lastSeq[change.Endpoint] = seq;
        }

        return seq;
    }
}
