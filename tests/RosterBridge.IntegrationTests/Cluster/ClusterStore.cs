using System.Globalization;
using RosterBridge.Config;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// Where the bridges of a cluster keep the roster, and how a reader finds each node's entries there:
/// the stream (<c>vmsig.&lt;node&gt;.roster.&lt;endpoint&gt;</c> in VMSIG_ROSTER), or the KV bucket
/// (keys <c>&lt;node&gt;.&lt;endpoint&gt;</c>: subjects <c>$KV.vmsig_roster.&lt;node&gt;.&lt;endpoint&gt;</c> of stream
/// KV_vmsig_roster). Every cluster failover test runs with each.
/// </summary>
/// <param name="Name">The test case's name for it.</param>
/// <param name="Stream">The JetStream stream that holds the entries.</param>
/// <param name="Filter">The subjects of every node's entries, as a late consumer filters them.</param>
/// <param name="Prefix">What comes before <c>&lt;node&gt;.roster.&lt;endpoint&gt;</c> (a key: <c>&lt;node&gt;.&lt;endpoint&gt;</c>) in a subject.</param>
/// <param name="Adjust">The sink options of this store (on top of the servers and replicas).</param>
/// <param name="WritersNamed">True where every write carries a message id that begins with the writer's node (the stream's guarded publishes), so the tests check who wrote each entry.</param>
/// <param name="Created">The subjects of the stream the first bridge creates: every node's.</param>
/// <param name="Keys">True where a subject after <see cref="Prefix"/> is a KV key, <c>&lt;node&gt;.&lt;endpoint&gt;</c>.</param>
/// <param name="NodeUsers">
/// True where each bridge connects as its own node's user, allowed to write only its node's keys
/// (config/nats/rosterbridge.conf's KV permissions): a KV write carries no writer's id, so the server's
/// refusal, and its log of any refusal, is what proves no bridge touched another node's keys.
/// </param>
internal sealed record ClusterStore(
    string Name,
    string Stream,
    string Filter,
    string Prefix,
    Func<NatsSinkOpts, NatsSinkOpts> Adjust,
    bool WritersNamed = true,
    string Created = "vmsig.*.roster.*",
    bool Keys = false,
    bool NodeUsers = false)
{
    public const string Bucket = "vmsig_roster";

    /// <summary>The default: the stream the bridges create, last message per subject.</summary>
    public static readonly ClusterStore RosterStream = new("stream", "VMSIG_ROSTER", "vmsig.*.roster.*", "vmsig.", opts => opts);

    /// <summary>KV mode: the bucket the bridges create (history 1, Nats:Replicas), one key per node and endpoint.</summary>
    public static readonly ClusterStore RosterBucket = new(
        "kv",
        $"KV_{Bucket}",
        $"$KV.{Bucket}.*.*",
        $"$KV.{Bucket}.",
        opts => opts with { Mode = NatsMode.Kv, Bucket = Bucket },
        WritersNamed: false,
        Created: $"$KV.{Bucket}.>",
        Keys: true,
        NodeUsers: true);

    /// <summary>Every store, by name, for a theory's data.</summary>
    public static ClusterStore Named(string name) => name switch
    {
        "stream" => RosterStream,
        "kv" => RosterBucket,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such cluster store"),
    };

    /// <summary>
    /// The server configuration's users, one per node, each allowed what its bridge does in KV mode on
    /// its own keys only (as config/nats/rosterbridge.conf has it); and a user without a password for
    /// the tests' own readers. Empty where <see cref="NodeUsers"/> is false.
    /// </summary>
    public string Authorization(IEnumerable<string> nodes)
    {
        if (!NodeUsers)
        {
            return string.Empty;
        }

        var users = nodes.Select(node => $$"""
                {
                  user: "{{node}}", password: "{{Password(node)}}",
                  permissions: {
                    publish: { allow: ["$KV.{{Bucket}}.{{node}}.>", "vmsig.{{node}}.bridge.status",
                      "$JS.API.STREAM.INFO.{{Stream}}", "$JS.API.STREAM.CREATE.{{Stream}}",
                      "$JS.API.STREAM.MSG.GET.{{Stream}}", "$JS.API.DIRECT.GET.{{Stream}}"] }
                    subscribe: { allow: ["_INBOX.>", "vmsig.{{node}}.bridge.status"] }
                    allow_responses: true
                  }
                }
            """);
        return $$"""
            authorization {
              users: [
                { user: "reader", password: "reader-secret" }
            {{string.Join('\n', users)}}
              ]
            }
            no_auth_user: "reader"
            """;
    }

    public static string Password(string node) => $"{node}-secret";

    /// <summary>The node and endpoint of an entry's subject; null for one that is no roster entry.</summary>
    public (string Node, int Endpoint)? Parse(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (!subject.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = subject[Prefix.Length..].Split('.');
        if (Keys)
        {
            return parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var key) ? (parts[0], key) : null;
        }

        return parts.Length == 3 && parts[1] == "roster" && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var endpoint)
            ? (parts[0], endpoint)
            : null;
    }

    public override string ToString() => Name;
}
