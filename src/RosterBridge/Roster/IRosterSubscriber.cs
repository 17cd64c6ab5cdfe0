namespace RosterBridge.Roster;

/// <summary>
/// What <see cref="RosterFeed"/> hands each changed slot to: a sink's outbox. Declared here, where
/// the data comes from, so that the roster knows nothing of what is downstream of it.
/// </summary>
internal interface IRosterSubscriber
{
    /// <summary>The slot changed: this is its newest state.</summary>
    void Offer(int endpoint, in SlotState state);

    /// <summary>Completes once there is room for another read's worth of offers; the daemon reader waits on it between reads.</summary>
    ValueTask WaitForRoomAsync(CancellationToken cancellationToken);
}
