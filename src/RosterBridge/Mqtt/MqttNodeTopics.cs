using RosterBridge.Roster;

namespace RosterBridge.Mqtt;

/// <summary>One node's topics (<see cref="MqttTopics"/>), made once per sink rather than per publish.</summary>
internal sealed class MqttNodeTopics(string prefix, string node)
{
    public string[] Roster { get; } = Enumerable.Range(0, RosterTable.SlotCount)
        .Select(endpoint => MqttTopics.Roster(prefix, node, endpoint))
        .ToArray();

    public string RosterFilter { get; } = MqttTopics.RosterFilter(prefix, node);

    public string Status { get; } = MqttTopics.Status(prefix, node);

    public string Probe { get; } = MqttTopics.Probe(prefix, node);
}
