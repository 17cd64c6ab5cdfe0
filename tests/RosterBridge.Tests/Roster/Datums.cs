using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Tests.Roster;

/// <summary>Roster datums and headers for tests.</summary>
internal static class Datums
{
    public static RosterDatum Make(uint vmid, uint state, RosterAction action, string name = "")
    {
        var datum = new RosterDatum { Vmid = vmid, State = state, Action = (uint)action };
        datum.SetName(name);
        return datum;
    }

    public static RosterDatum WithRawName(uint vmid, uint state, RosterAction action, ReadOnlySpan<byte> name, uint flags)
    {
        var datum = new RosterDatum { Vmid = vmid, State = state, Action = (uint)action, Flags = flags };
        name.CopyTo(datum.Name);
        return datum;
    }

    public static RosterDatum Attach(uint vmid, uint state = 3, string name = "") => Make(vmid, state, RosterAction.Attach, name);

    public static RosterDatum Update(uint vmid, uint state, string name = "") => Make(vmid, state, RosterAction.Update, name);

    public static RosterDatum Detach(uint vmid = 0) => Make(vmid, 0, RosterAction.Detach);

    public static EventHeader Header(int endpoint, ulong seq, bool replay = false, ulong timestampNs = 0) => new(
        (ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Host, (ushort)endpoint,
        replay ? VmsigWire.FlagReplay : (ushort)0, seq, timestampNs == 0 ? seq * 1000 : timestampNs);

    public static string NameOf(in RosterDatum datum) => RosterName.Decode(datum.Name, datum.NameTruncated);
}
