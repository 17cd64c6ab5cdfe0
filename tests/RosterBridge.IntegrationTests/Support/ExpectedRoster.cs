using System.Text.Json;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>What a late subscriber must see for one node: endpoint → (vmid, name, state code).</summary>
public sealed class ExpectedRoster
{
    private static readonly string[] StateNames =
        ["unknown", "stopped", "starting", "running", "paused", "suspended", "stopping", "migrating", "crashed"];

    private readonly Dictionary<int, (uint Vmid, string Name, uint State)> _slots = [];

    public ExpectedRoster(string node) => Node = node;

    public string Node { get; }

    public IReadOnlyCollection<int> Endpoints => _slots.Keys;

    public ExpectedRoster Set(int endpoint, uint vmid, string name, uint state)
    {
        _slots[endpoint] = (vmid, name, state);
        return this;
    }

    /// <summary>The daemon's roster as a late subscriber must see it (names as the bridge publishes them).</summary>
    internal static ExpectedRoster From(string node, IReadOnlyList<RosterBridge.Simulate.RosterSlot?> snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var expected = new ExpectedRoster(node);
        for (var endpoint = 0; endpoint < snapshot.Count; endpoint++)
        {
            if (snapshot[endpoint] is { } slot)
            {
                expected.Set(endpoint, slot.Vmid, slot.WireName, slot.State);
            }
        }

        return expected;
    }

    public ExpectedRoster Vacate(int endpoint)
    {
        _slots.Remove(endpoint);
        return this;
    }

    /// <summary>True when the view holds exactly these endpoints with exactly these values.</summary>
    public bool IsMatchedBy(RosterView view) => Mismatch(view) is null;

    /// <summary>The first difference, for a failure message; null when there is none.</summary>
    public string? Mismatch(RosterView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var extra = view.Entries.Keys.Except(_slots.Keys).ToList();
        if (extra.Count > 0)
        {
            return $"endpoints {string.Join(",", extra)} are there but should be vacant";
        }

        foreach (var (endpoint, (vmid, name, state)) in _slots)
        {
            if (!view.Entries.TryGetValue(endpoint, out var entry))
            {
                return $"endpoint {endpoint} is missing";
            }

            var expectedState = state < StateNames.Length ? StateNames[state] : $"state_{state}";
            if (entry.GetProperty("node").GetString() != Node
                || entry.GetProperty("endpoint").GetInt32() != endpoint
                || entry.GetProperty("vmid").GetUInt32() != vmid
                || entry.GetProperty("name").GetString() != name
                || entry.GetProperty("state_code").GetUInt32() != state
                || entry.GetProperty("state").GetString() != expectedState
                || entry.GetProperty("action").GetString() is not ("attach" or "update")
                || entry.GetProperty("ts").ValueKind != JsonValueKind.String)
            {
                return $"endpoint {endpoint}: expected vmid {vmid} name '{name}' state {expectedState}({state}), got {entry.GetRawText()}";
            }
        }

        return null;
    }
}
