using System.Globalization;

namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>
/// Home Assistant's topics and ids for one node. Every discovery config of the node lies under
/// <c>{prefix}/+/rosterbridge_{node}/+/config</c> (the topic's node_id level is this bridge's), so
/// that one filter reads back this node's configs and no other node's.
/// </summary>
internal sealed class DiscoveryTopics(string discoveryPrefix, string node)
{
    /// <summary>The topic's node_id level, the node device's identifier and the start of every unique id.</summary>
    public string NodeId { get; } = $"rosterbridge_{node}";

    /// <summary>Every discovery config of this node, whatever its component.</summary>
    public string Filter => $"{discoveryPrefix}/+/{NodeId}/+/config";

    /// <summary>Where Home Assistant says <c>online</c> when it (re)starts.</summary>
    public string Birth => $"{discoveryPrefix}/status";

    /// <summary>The node device's entity: the bridge's connectivity.</summary>
    public string Bridge => $"{discoveryPrefix}/binary_sensor/{NodeId}/bridge/config";

    public string BridgeUniqueId => $"{NodeId}_bridge";

    public string Vm(uint vmid) => string.Create(CultureInfo.InvariantCulture, $"{discoveryPrefix}/sensor/{NodeId}/vm_{vmid}/config");

    /// <summary>The VM's entity and its device: one per node and VM id, wherever the VM's endpoint is.</summary>
    public string VmUniqueId(uint vmid) => string.Create(CultureInfo.InvariantCulture, $"{NodeId}_vm_{vmid}");
}
