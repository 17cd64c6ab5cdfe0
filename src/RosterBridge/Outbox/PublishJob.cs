using RosterBridge.Roster;

namespace RosterBridge.Outbox;

/// <summary>One slot's newest desired state, taken by a sink to publish.</summary>
/// <param name="Session">The outbox's session when the job was taken; a job of an older session cannot acknowledge anything.</param>
/// <param name="BrokerStateUnknown">
/// The sink has not published this slot since it (re)connected, so the broker may hold anything
/// for it: a stale entry, or nothing at all.
/// </param>
internal readonly record struct PublishJob(int Endpoint, SlotState State, long Version, bool BrokerStateUnknown, long Session = 0);
