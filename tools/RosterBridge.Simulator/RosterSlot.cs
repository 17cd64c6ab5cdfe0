using RosterBridge.Roster;

namespace RosterBridge.Simulate;

/// <summary>One occupied slot of the simulated roster. <see cref="Name"/> is the full name as given.</summary>
internal sealed record RosterSlot(uint Vmid, string Name, uint State)
{
    /// <summary>True when the name does not fit the datum (more than 31 UTF-8 bytes) and NAME_TRUNC is set.</summary>
    public bool NameTruncated => System.Text.Encoding.UTF8.GetByteCount(Name) > RosterDatum.NameMax - 1;

    /// <summary>The name as a bridge publishes it: cut like the daemon, an incomplete UTF-8 tail dropped.</summary>
    public string WireName
    {
        get
        {
            var datum = default(RosterDatum);
            datum.SetName(Name);
            return RosterName.Decode(datum.Name, datum.NameTruncated);
        }
    }
}
