using RosterBridge.Roster;

namespace RosterBridge.Outbox;

/// <summary>What a sink still has to publish. <see cref="SinkOutbox"/> is the bridge's; <see cref="PerEventOutbox"/> is the baseline it is measured against.</summary>
internal interface IRosterOutbox : IRosterSubscriber
{
    /// <summary>Slots (or events) whose publish the broker has not acknowledged yet.</summary>
    int PendingCount { get; }

    /// <summary>The sink (re)connected: the broker may hold anything.</summary>
    void BrokerStateLost();

    /// <summary>Waits for the next job to publish.</summary>
    ValueTask<PublishJob> TakeAsync(CancellationToken cancellationToken);

    /// <summary>The publish of <paramref name="job"/> ended.</summary>
    void Complete(in PublishJob job, bool acknowledged);
}
