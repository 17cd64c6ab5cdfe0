using System.Threading.Channels;
using RosterBridge.Roster;

namespace RosterBridge.Outbox;

/// <summary>
/// The baseline a coalescing bridge is measured against (<c>Outbox:Mode = per-event</c>): every
/// event is published, in order, one at a time, as a naive bridge does. Bounded: when the queue is
/// full, the daemon reader waits (in <see cref="WaitForRoomAsync"/>, between reads, cancellably), so
/// the bridge falls behind the daemon instead of growing. An offer never blocks: the events of the
/// read that filled the queue wait beside it, past the bound by at most one read's worth.
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

    private readonly Queue<PublishJob> _overflow = new(); // later than everything in _queue
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
                return _queue.Reader.Count + _overflow.Count + _inFlight + (_retry is null ? 0 : 1);
            }
        }
    }

    public void Offer(int endpoint, in SlotState state)
    {
        var job = new PublishJob(endpoint, state, Interlocked.Increment(ref _version), BrokerStateUnknown: false);
        lock (_gate)
        {
            if (_overflow.Count > 0 || !_queue.Writer.TryWrite(job))
            {
                _overflow.Enqueue(job);
            }
        }
    }

    public async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        while (!TryMoveOverflow())
        {
            await _queue.Writer.WaitToWriteAsync(cancellationToken);
        }
    }

    /// <summary>Moves waiting events into the queue while it has room; true when none are left waiting.</summary>
    private bool TryMoveOverflow()
    {
        lock (_gate)
        {
            while (_overflow.TryPeek(out var job) && _queue.Writer.TryWrite(job))
            {
                _overflow.Dequeue();
            }

            return _overflow.Count == 0;
        }
    }

    public void BrokerStateLost()
    {
        // A naive bridge republishes nothing: what the broker lost stays lost until the slot changes.
    }

    public async ValueTask<PublishJob> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                if (_retry is { } retry)
                {
                    _retry = null;
                    _inFlight++;
                    return retry;
                }

                // The queue first: what waits beside it came later.
                if (_queue.Reader.TryRead(out var job) || _overflow.TryDequeue(out job))
                {
                    _inFlight++;
                    return job;
                }
            }

            await _queue.Reader.WaitToReadAsync(cancellationToken);
        }
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
