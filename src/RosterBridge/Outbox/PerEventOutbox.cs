using System.Threading.Channels;
using RosterBridge.Roster;

namespace RosterBridge.Outbox;

/// <summary>
/// The baseline a coalescing bridge is measured against (<c>Outbox:Mode = per-event</c>): every
/// event is published, in order, one at a time, as a naive bridge does. Bounded: when the queue is
/// full, the daemon reader waits, so the bridge falls behind the daemon instead of growing.
/// </summary>
internal sealed class PerEventOutbox : IRosterOutbox
{
    public const int Capacity = 4096;

    private readonly Channel<PublishJob> _queue = Channel.CreateBounded<PublishJob>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Lock _gate = new();
    private PublishJob? _retry;
    private long _version;
    private int _inFlight;

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _queue.Reader.Count + _inFlight + (_retry is null ? 0 : 1);
            }
        }
    }

    public void Offer(int endpoint, in SlotState state)
    {
        var job = new PublishJob(endpoint, state, Interlocked.Increment(ref _version), BrokerStateUnknown: false);
        if (!_queue.Writer.TryWrite(job))
        {
            // The daemon reader is synchronous; in this mode it is meant to be held up by the broker.
            _queue.Writer.WriteAsync(job).AsTask().GetAwaiter().GetResult();
        }
    }

    public void BrokerStateLost()
    {
        // A naive bridge republishes nothing: what the broker lost stays lost until the slot changes.
    }

    public async ValueTask<PublishJob> TakeAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_retry is { } retry)
            {
                _retry = null;
                _inFlight++;
                return retry;
            }
        }

        var job = await _queue.Reader.ReadAsync(cancellationToken);
        lock (_gate)
        {
            _inFlight++;
        }

        return job;
    }

    public void Complete(in PublishJob job, bool acknowledged)
    {
        lock (_gate)
        {
            _inFlight--;
            if (!acknowledged)
            {
                _retry = job; // in order: the failed event goes first again
            }
        }
    }
}
