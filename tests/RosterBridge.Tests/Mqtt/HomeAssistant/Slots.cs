using RosterBridge.Roster;
using RosterBridge.Tests.Roster;

namespace RosterBridge.Tests.Mqtt.HomeAssistant;

/// <summary>Slot states for discovery tests.</summary>
internal static class Slots
{
    public static SlotState Vm(uint vmid, string name, uint state = 3, ulong seq = 1) =>
        new(Datums.Attach(vmid, state, name), RosterAction.Attach, seq, seq * 1000);

    /// <summary>A roster known to discovery: every slot offered, as the first SYNC does, the given ones occupied.</summary>
    public static void OfferAll(Action<int, SlotState> offer, params (int Endpoint, SlotState State)[] occupied)
    {
        for (var endpoint = 0; endpoint < RosterTable.SlotCount; endpoint++)
        {
            var slot = occupied.Where(o => o.Endpoint == endpoint).Select(o => o.State).FirstOrDefault();
            offer(endpoint, slot);
        }
    }
}
