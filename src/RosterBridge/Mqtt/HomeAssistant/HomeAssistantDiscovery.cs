using System.Threading.Channels;
using RosterBridge.Config;
using RosterBridge.Roster;

namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>
/// Home Assistant discovery for one MQTT sink, across its connections: the roster as discovery shows
/// it (fed by the roster feed beside the sink's outbox), the configs that follow from it, and when
/// Home Assistant asked for them again. Each connection's <see cref="HomeAssistantSession"/> publishes
/// what differs from what its broker holds.
/// </summary>
internal sealed class HomeAssistantDiscovery : IRosterSubscriber
{
    // One pending wake is enough: whoever wakes reads the whole state anew.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _cacheGate = new();
    private readonly byte[] _bridge;
    private Dictionary<DiscoveredVm, byte[]> _documents = [];

    public HomeAssistantDiscovery(HomeAssistantOpts opts, string topicPrefix, string node, TimeProvider? time = null, DiscoveryOrigin? origin = null)
    {
        Time = time ?? TimeProvider.System;
        Topics = new DiscoveryTopics(opts.DiscoveryPrefix, node);
        Documents = new DiscoveryDocuments(Topics, topicPrefix, node, origin ?? DiscoveryOrigin.Current);
        Roster = new DiscoveryRoster(opts.LeaveGrace, Time);
        Births = new BirthThrottle(opts.BirthInterval, Time);
        _bridge = Documents.Bridge();
    }

    public TimeProvider Time { get; }

    public DiscoveryTopics Topics { get; }

    public DiscoveryDocuments Documents { get; }

    public DiscoveryRoster Roster { get; }

    public BirthThrottle Births { get; }

    public HomeAssistantCounters Counters { get; } = new();

    public void Offer(int endpoint, in SlotState state)
    {
        if (Roster.Offer(endpoint, state))
        {
            Wake();
        }
    }

    /// <summary>Always room: 64 slots.</summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Home Assistant (re)started: publish every config again, within the birth interval.</summary>
    public void OnBirth()
    {
        Counters.OnBirth();
        Births.Request();
        Wake();
    }

    /// <summary>Something discovery depends on changed. Safe from any thread.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Waits for a wake, or until <paramref name="timeout"/> has passed (null: no limit).</summary>
    public async Task WaitAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (_wake.Reader.TryRead(out _))
        {
            return;
        }

        using var timer = timeout is { } limit ? new CancellationTokenSource(limit, Time) : new CancellationTokenSource();
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await _wake.Reader.ReadAsync(either.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the time is up: the caller looks at what is due
        }
    }

    /// <summary>How long until something is due without a wake: a leaving VM's grace ends, or a birth's republish may start.</summary>
    public TimeSpan? UntilDue()
    {
        var untilLeave = Roster.NextLeaveEnds is { } ends ? ends - Time.GetUtcNow() : (TimeSpan?)null;
        var untilBirth = Births.UntilDue;
        var due = untilLeave is null ? untilBirth : untilBirth is null ? untilLeave : TimeSpan.FromTicks(Math.Min(untilLeave.Value.Ticks, untilBirth.Value.Ticks));
        return due is { } wait && wait < TimeSpan.Zero ? TimeSpan.Zero : due;
    }

    /// <summary>Topic → config of every config this node should have, the node's device first; null until the roster is known.</summary>
    public List<KeyValuePair<string, byte[]>>? Desired()
    {
        if (Roster.Snapshot() is not { } vms)
        {
            return null;
        }

        var desired = new List<KeyValuePair<string, byte[]>>(vms.Count + 1) { new(Topics.Bridge, _bridge) };
        lock (_cacheGate)
        {
            // Only the configs in use are kept: at most one per VM shown.
            var documents = new Dictionary<DiscoveredVm, byte[]>(vms.Count);
            foreach (var vm in vms)
            {
                var document = _documents.TryGetValue(vm, out var made) ? made : Documents.Vm(vm);
                documents[vm] = document;
                desired.Add(new(Topics.Vm(vm.Vmid), document));
            }

            _documents = documents;
        }

        return desired;
    }
}
