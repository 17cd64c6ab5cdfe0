using System.Text.Json;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>One broker's roster as a late subscriber sees it: endpoint → payload, and the endpoints marked deleted.</summary>
public sealed record RosterView(IReadOnlyDictionary<int, JsonElement> Entries, IReadOnlySet<int> Deleted)
{
    public override string ToString() =>
        string.Join("; ", Entries.OrderBy(e => e.Key).Select(e => $"{e.Key}={e.Value.GetRawText()}"))
        + (Deleted.Count > 0 ? $" | deleted: {string.Join(",", Deleted.Order())}" : string.Empty);
}
