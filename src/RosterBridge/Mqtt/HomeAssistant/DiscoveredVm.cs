namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>What a VM's discovery config depends on: not its state, which Home Assistant reads from the roster's topic.</summary>
/// <param name="Name">The VM's name as published (decoded, valid UTF-8); may be empty.</param>
internal readonly record struct DiscoveredVm(uint Vmid, int Endpoint, string Name);
