namespace RosterBridge.Simulate;

/// <summary>
/// One change the <see cref="LifecycleGenerator"/> proposes. <see cref="Vmid"/> is the VM the change
/// is about (also for UPDATE and DETACH, so a stale proposal can be recognised); <see cref="Name"/>
/// is the name for ATTACH, the new name for a rename UPDATE, and null otherwise.
/// </summary>
internal readonly record struct SimChange(SimChangeKind Kind, int Endpoint, uint Vmid, uint State, string? Name);
