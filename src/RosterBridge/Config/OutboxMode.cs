namespace RosterBridge.Config;

internal enum OutboxMode
{
    /// <summary>Publish the newest state of each slot (the bridge's normal mode).</summary>
    Coalesce,

    /// <summary>Publish every event, in order, one at a time: the baseline of a naive bridge, for measurements.</summary>
    PerEvent,
}
