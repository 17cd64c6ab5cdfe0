using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Tests.Simulate;

/// <summary>One frame as the raw test client read it.</summary>
internal sealed record SimFrame(EventHeader Header, byte[] Payload)
{
    public EventType Type => Header.EventType;

    public RosterDatum Datum => RosterDatum.Read(Payload);

    public RosterAction Action => (RosterAction)Datum.Action;

    /// <summary>The datum's name as a bridge publishes it.</summary>
    public string DecodedName
    {
        get
        {
            var datum = Datum;
            return RosterName.Decode(datum.Name, datum.NameTruncated);
        }
    }
}
