using System.Runtime.CompilerServices;

namespace RosterBridge.Roster;

/// <summary>The datum's name field, held inline so that a roster entry is a plain value.</summary>
[InlineArray(RosterDatum.NameMax)]
internal struct RosterNameBytes
{
    private byte _first;
}
