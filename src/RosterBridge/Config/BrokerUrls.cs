namespace RosterBridge.Config;

/// <summary>A list of servers that compares by its servers, so that options records holding one compare by value.</summary>
internal sealed record BrokerUrls(IReadOnlyList<BrokerUrl> Items)
{
    public bool Equals(BrokerUrls? other) => other is not null && Items.SequenceEqual(other.Items);

    public override int GetHashCode() => Items.Aggregate(Items.Count, HashCode.Combine);
}
