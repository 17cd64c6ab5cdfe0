namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>What to publish so that the broker holds exactly the desired discovery configs of this node.</summary>
internal static class DiscoveryPlan
{
    /// <summary>
    /// The configs that are missing or differ from what the broker holds, in the desired order (the
    /// node's device before the VMs that name it as <c>via_device</c>), then a clear for every held
    /// config that is not desired, in topic order. Nothing for a config the broker holds already,
    /// unless <paramref name="republishAll"/> (Home Assistant restarted and asks for discovery again).
    /// </summary>
    /// <param name="held">Topic → payload of this node's configs at the broker (read back, and acknowledged since).</param>
    public static List<DiscoveryPublish> Compute(
        IReadOnlyList<KeyValuePair<string, byte[]>> desired, IReadOnlyDictionary<string, byte[]> held, bool republishAll)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(held);
        var plan = new List<DiscoveryPublish>();
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (topic, payload) in desired)
        {
            wanted.Add(topic);
            if (republishAll || !held.TryGetValue(topic, out var current) || !current.AsSpan().SequenceEqual(payload))
            {
                plan.Add(new DiscoveryPublish(topic, payload));
            }
        }

        foreach (var topic in held.Keys.Where(topic => !wanted.Contains(topic)).Order(StringComparer.Ordinal))
        {
            plan.Add(new DiscoveryPublish(topic, []));
        }

        return plan;
    }
}
