using RosterBridge.Roster;

namespace RosterBridge.Nats;

/// <summary>One node's subjects (<see cref="NatsSubjects"/>) and KV keys, made once per sink rather than per publish.</summary>
internal sealed class NatsNodeSubjects(string prefix, string node)
{
    public string Node { get; } = node;

    public string[] Roster { get; } = Enumerable.Range(0, RosterTable.SlotCount)
        .Select(endpoint => NatsSubjects.Roster(prefix, node, endpoint))
        .ToArray();

    public string RosterFilter { get; } = NatsSubjects.RosterFilter(prefix, node);

    public string Status { get; } = NatsSubjects.Status(prefix, node);

    /// <summary>KV mode's keys, <c>{node}.{endpoint}</c> (<see cref="NatsKeys"/>).</summary>
    public string[] Keys { get; } = Enumerable.Range(0, RosterTable.SlotCount)
        .Select(endpoint => NatsKeys.Key(node, endpoint))
        .ToArray();
}
