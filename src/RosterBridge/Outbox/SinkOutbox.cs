using System.Threading.Channels;
using RosterBridge.Roster;

namespace RosterBridge.Outbox;

/// <summary>
/// What one sink still has to publish: per slot the newest desired state and the version the
/// broker acknowledged. Publishing is coalescing (only the newest state of a slot is sent, however
/// many events came since) and ordered per slot (at most one publish in flight per slot, so a
/// retry can never reorder it). Memory is 64 slots whatever the outage or burst.
/// </summary>
internal sealed class SinkOutbox : IRosterOutbox
{
    private const int SlotCount = RosterTable.SlotCount;

    private readonly Lock _gate = new();
    private readonly SlotState[] _desired = new SlotState[SlotCount];
    private readonly long[] _desiredVersion = new long[SlotCount]; // 0: nothing desired yet
    private readonly long[] _ackedVersion = new long[SlotCount];
    private ulong _queued;
    private ulong _inFlight;
    private ulong _brokerUnknown = RosterTable.AllSlots;
    private long _session;
    private bool _offered;

    // Holds each slot at most once (the _queued mask), so 64 places never fill up.
    private readonly Channel<int> _ready = Channel.CreateBounded<int>(new BoundedChannelOptions(SlotCount)
    {
        SingleReader = false,
        SingleWriter = false,
    });

    /// <summary>Slots whose desired state the broker has not acknowledged yet.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                var pending = 0;
                for (var i = 0; i < SlotCount; i++)
                {
                    if (_desiredVersion[i] != _ackedVersion[i])
                    {
                        pending++;
                    }
                }

                return pending;
            }
        }
    }

    /// <summary>True when a roster was offered and the broker acknowledged all of it.</summary>
    public bool IsCaughtUp
    {
        get
        {
            lock (_gate)
            {
                return _offered && _desiredVersion.AsSpan().SequenceEqual(_ackedVersion);
            }
        }
    }

    /// <summary>The slot's newest desired state; replaces whatever was still waiting for it.</summary>
    public void Offer(int endpoint, in SlotState state)
    {
        lock (_gate)
        {
            _desired[endpoint] = state;
            _desiredVersion[endpoint]++;
            _offered = true;
            EnqueueIfIdle(endpoint);
        }
    }

    /// <summary>Always room: 64 slots, however fast the daemon offers.</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// The sink (re)connected: the broker may have lost or kept anything, so every slot with a
    /// desired state is published again.
    /// </summary>
    public void BrokerStateLost()
    {
        lock (_gate)
        {
            // Publishes still in flight belong to the lost connection: whatever becomes of them
            // acknowledges nothing, and their slots may be published again at once.
            _session++;
            _inFlight = 0;
            _brokerUnknown = RosterTable.AllSlots;
            for (var i = 0; i < SlotCount; i++)
            {
                if (_desiredVersion[i] != 0)
                {
                    _ackedVersion[i] = 0;
                    EnqueueIfIdle(i);
                }
            }
        }
    }

    /// <summary>Waits for the next slot to publish and marks it in flight.</summary>
    public async ValueTask<PublishJob> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var endpoint = await _ready.Reader.ReadAsync(cancellationToken);
            if (TryBegin(endpoint, out var job))
            {
                return job;
            }
        }
    }

    /// <summary>Takes a ready slot without waiting (for tests and the synchronous model).</summary>
    public bool TryTake(out PublishJob job)
    {
        while (_ready.Reader.TryRead(out var endpoint))
        {
            if (TryBegin(endpoint, out job))
            {
                return true;
            }
        }

        job = default;
        return false;
    }

    /// <summary>
    /// The publish of <paramref name="job"/> ended. A newer state that arrived meanwhile, or a
    /// failed publish, queues the slot again. A job from before the last <see cref="BrokerStateLost"/>
    /// changes nothing.
    /// </summary>
    public void Complete(in PublishJob job, bool acknowledged)
    {
        var bit = 1UL << job.Endpoint;
        lock (_gate)
        {
            if (job.Session != _session)
            {
                return;
            }

            _inFlight &= ~bit;
            if (acknowledged && job.Version > _ackedVersion[job.Endpoint])
            {
                _ackedVersion[job.Endpoint] = job.Version;
                _brokerUnknown &= ~bit;
            }

            EnqueueIfIdle(job.Endpoint);
        }
    }

    private bool TryBegin(int endpoint, out PublishJob job)
    {
        var bit = 1UL << endpoint;
        lock (_gate)
        {
            _queued &= ~bit;
            if (_desiredVersion[endpoint] == _ackedVersion[endpoint])
            {
                job = default;
                return false;
            }

            _inFlight |= bit;
            job = new PublishJob(endpoint, _desired[endpoint], _desiredVersion[endpoint], (_brokerUnknown & bit) != 0, _session);
            return true;
        }
    }

    private void EnqueueIfIdle(int endpoint)
    {
        var bit = 1UL << endpoint;
        if (((_queued | _inFlight) & bit) != 0 || _desiredVersion[endpoint] == _ackedVersion[endpoint])
        {
            return;
        }

        _queued |= bit;
        var written = _ready.Writer.TryWrite(endpoint);
        System.Diagnostics.Debug.Assert(written, "the ready queue holds each slot at most once");
    }
}
