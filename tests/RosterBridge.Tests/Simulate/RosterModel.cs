using RosterBridge.Frames;
using RosterBridge.Roster;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.Tests.Simulate;

/// <summary>
/// What a subscriber knows from the frames it read: a strict model that fails on an ATTACH to an
/// occupied slot, an UPDATE or DETACH of a vacant one, or a live seq that does not increase.
/// </summary>
internal sealed class RosterModel
{
    private readonly (uint Vmid, uint State, byte[] Name, bool Truncated)?[] _slots = new (uint, uint, byte[], bool)?[VmsigWire.EndpointCount];
    private ulong _lastSeq;

    public int Applied { get; private set; }

    public void Apply(SimFrame frame)
    {
        Assert.True(frame.Header.Seq > _lastSeq, $"seq {frame.Header.Seq} after {_lastSeq}");
        _lastSeq = frame.Header.Seq;
        if (frame.Type != EventType.Roster)
        {
            return;
        }

        var endpoint = frame.Header.Endpoint;
        var datum = frame.Datum;
        var name = RosterName.Meaningful(datum.Name, datum.NameTruncated).ToArray();
        var current = _slots[endpoint];
        switch (frame.Action)
        {
            case RosterAction.Attach:
                Assert.True(current is null, $"ATTACH to occupied endpoint {endpoint} (seq {frame.Header.Seq})");
                _slots[endpoint] = (datum.Vmid, datum.State, name, datum.NameTruncated);
                break;
            case RosterAction.Update:
                Assert.True(current is not null, $"UPDATE of vacant endpoint {endpoint}");
                Assert.Equal(current.Value.Vmid, datum.Vmid);
                _slots[endpoint] = (datum.Vmid, datum.State, name, datum.NameTruncated);
                break;
            case RosterAction.Detach:
                Assert.True(current is not null, $"DETACH of vacant endpoint {endpoint}");
                Assert.Equal(current.Value.Vmid, datum.Vmid);
                _slots[endpoint] = null;
                break;
            default:
                Assert.Fail($"action {frame.Action}");
                break;
        }

        Applied++;
    }

    /// <summary>Asserts that the model is exactly the daemon's roster.</summary>
    public void AssertEquals(RosterSlot?[] roster)
    {
        for (var i = 0; i < VmsigWire.EndpointCount; i++)
        {
            var expected = roster[i];
            var actual = _slots[i];
            Assert.True(expected is null == actual is null, $"endpoint {i}: daemon {expected}, subscriber {actual}");
            if (expected is not null && actual is { } slot)
            {
                Assert.Equal(expected.Vmid, slot.Vmid);
                Assert.Equal(expected.State, slot.State);
                Assert.Equal(expected.NameTruncated, slot.Truncated);
                Assert.Equal(expected.WireName, System.Text.Encoding.UTF8.GetString(slot.Name));
            }
        }
    }
}
