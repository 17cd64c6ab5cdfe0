using System.Collections.Concurrent;

namespace RosterBridge.Tests.Outbox.Scripted;

/// <summary>What the scripted broker holds per endpoint: the vmid of the last state that landed (0: vacant).</summary>
internal sealed class ScriptedBroker
{
    public ConcurrentDictionary<int, uint> Entries { get; } = new();

    public uint this[int endpoint] => Entries.TryGetValue(endpoint, out var vmid) ? vmid : 0;
}
