using System.Globalization;
using RosterBridge.Config;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// Where the bridges of a cluster keep the roster, and how a reader finds each node's entries there:
/// the stream (<c>vmsig.&lt;node&gt;.roster.&lt;endpoint&gt;</c> in VMSIG_ROSTER). A KV bucket is one more
/// of these (its stream <c>KV_&lt;bucket&gt;</c>, its subjects <c>$KV.&lt;bucket&gt;.&lt;key&gt;</c>, its sink options),
/// and every cluster test runs with each.
/// </summary>
/// <param name="Name">The test case's name for it.</param>
/// <param name="Stream">The JetStream stream that holds the entries.</param>
/// <param name="Filter">The subjects of every node's entries, as a late consumer filters them.</param>
/// <param name="Prefix">What comes before <c>&lt;node&gt;.roster.&lt;endpoint&gt;</c> in a subject.</param>
/// <param name="Adjust">The sink options of this store (on top of the servers and replicas).</param>
/// <param name="WritersNamed">True where every write carries a message id that begins with the writer's node (the stream's guarded publishes), so the tests check who wrote each entry.</param>
internal sealed record ClusterStore(string Name, string Stream, string Filter, string Prefix, Func<NatsSinkOpts, NatsSinkOpts> Adjust, bool WritersNamed = true)
{
    /// <summary>The default: the stream the bridges create, last message per subject.</summary>
    public static readonly ClusterStore RosterStream = new("stream", "VMSIG_ROSTER", "vmsig.*.roster.*", "vmsig.", opts => opts);

    /// <summary>Every store, by name, for a theory's data.</summary>
    public static ClusterStore Named(string name) => name switch
    {
        "stream" => RosterStream,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such cluster store"),
    };

    /// <summary>The node and endpoint of an entry's subject; null for one that is no roster entry.</summary>
    public (string Node, int Endpoint)? Parse(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (!subject.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = subject[Prefix.Length..].Split('.');
        return parts.Length == 3 && parts[1] == "roster" && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var endpoint)
            ? (parts[0], endpoint)
            : null;
    }

    public override string ToString() => Name;
}
