namespace RosterBridge.Simulate;

/// <summary>VMSIG_VM_* lifecycle states, as numbers for the roster datum (names in <see cref="Frames.VmsigWire.VmStateName"/>).</summary>
internal static class VmState
{
    public const uint Unknown = 0;
    public const uint Stopped = 1;
    public const uint Starting = 2;
    public const uint Running = 3;
    public const uint Paused = 4;
    public const uint Suspended = 5;
    public const uint Stopping = 6;
    public const uint Migrating = 7;
    public const uint Crashed = 8;

    /// <summary>One past the highest known state.</summary>
    public const uint Count = 9;
}
