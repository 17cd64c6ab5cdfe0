namespace RosterBridge.Simulate;

/// <summary>One slot of the <see cref="LifecycleGenerator"/>'s model of the roster.</summary>
internal record struct ModelSlot(bool Occupied, uint Vmid, uint State, string? Name);
