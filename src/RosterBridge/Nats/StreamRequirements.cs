using System.Globalization;
using NATS.Client.JetStream.Models;

namespace RosterBridge.Nats;

/// <summary>
/// What a stream must be for the roster to live in it: every setting that could lose, expire,
/// block or reorder a roster entry, checked on a stream the bridge did not create. Pure: the
/// sink asks at every connect and read-back, and refuses to go on with what this returns.
/// A KV bucket is a stream too; <see cref="BucketRequirements"/> shares the checks that apply to both.
/// </summary>
internal static class StreamRequirements
{
    /// <summary>The largest message (headers and payload) the bridge writes stays well below this.</summary>
    public const int RequiredMessageSize = 1024;

    /// <summary>Each setting that is wrong, named as JetStream names it, with its value and why it matters; empty when the stream will do.</summary>
    public static IReadOnlyList<string> Problems(StreamConfig config, string ourSubjects)
    {
        var problems = Shared(config, ourSubjects, bucket: false);
        if (config.MaxMsgsPerSubject != 1)
        {
            problems.Add(Setting("max_msgs_per_subject", config.MaxMsgsPerSubject, "RosterBridge needs exactly 1: the entry is the endpoint's last message"));
        }

        if (config.Discard != StreamConfigDiscard.Old)
        {
            problems.Add("discard is new (a full stream would refuse an endpoint's next state; RosterBridge needs old)");
        }

        if (config.DenyDelete)
        {
            problems.Add("deny_delete is true (RosterBridge needs a stream whose entries may be removed)");
        }

        return problems;
    }

    /// <summary>
    /// The checks a stream and a bucket share; <paramref name="bucket"/> names a setting as <c>nats kv</c>
    /// does, with the stream's name for it in parentheses.
    /// </summary>
    internal static List<string> Shared(StreamConfig config, string ourSubjects, bool bucket)
    {
        var problems = new List<string>();
        if (config.Subjects is null || !config.Subjects.Any(pattern => NatsSubjects.Covers(pattern, ourSubjects)))
        {
            problems.Add($"subjects [{string.Join(", ", config.Subjects ?? [])}] do not cover {ourSubjects}");
        }

        if (config.MaxAge > TimeSpan.Zero)
        {
            problems.Add($"{(bucket ? "ttl (max_age)" : "max_age")} is {config.MaxAge.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s " +
                $"(entries would expire; RosterBridge needs 0, no {(bucket ? "TTL" : "age limit")})");
        }

        if (config.MaxMsgs > 0)
        {
            problems.Add(Setting("max_msgs", config.MaxMsgs, $"the {(bucket ? "bucket" : "stream")} would drop or refuse entries at that count; RosterBridge needs -1, no limit"));
        }

        if (config.MaxBytes > 0)
        {
            problems.Add(Setting(bucket ? "max_bucket_size (max_bytes)" : "max_bytes", config.MaxBytes,
                $"the {(bucket ? "bucket" : "stream")} would drop or refuse entries at that size; RosterBridge needs -1, no limit"));
        }

        if (config.MaxMsgSize > 0 && config.MaxMsgSize < RequiredMessageSize)
        {
            problems.Add(Setting(bucket ? "max_value_size (max_msg_size)" : "max_msg_size", config.MaxMsgSize,
                $"an entry could be refused; RosterBridge needs -1 or at least {RequiredMessageSize}"));
        }

        if (config.Retention != StreamConfigRetention.Limits)
        {
            problems.Add($"retention is {Name(config.Retention)} (consumers would remove entries; RosterBridge needs limits)");
        }

        if (config.Sealed)
        {
            problems.Add($"sealed is true (the {(bucket ? "bucket" : "stream")} accepts no new entries)");
        }

        if (config.NoAck)
        {
            problems.Add("no_ack is true (publishes would never be acknowledged)");
        }

        if (config.Mirror is not null)
        {
            problems.Add($"mirror is {config.Mirror.Name} (a mirror accepts no publishes)");
        }

        if (config.SubjectTransform is { Dest: { Length: > 0 } destination })
        {
            problems.Add($"subject_transform moves {config.SubjectTransform.Src} to {destination} (entries would not be where RosterBridge and its readers look)");
        }

        return problems;
    }

    /// <summary>
    /// Why the stream keeps fewer copies than <c>Nats:Replicas</c> asks, or null. Not a problem that
    /// stops the bridge: the roster is whole on the stream's leader, only less safe from a node's loss;
    /// and raising a stream's replicas is the operator's decision (it moves data across the cluster).
    /// </summary>
    public static string? ReplicaShortfall(StreamConfig config, string streamName, int replicas) =>
        ReplicaShortfall(config, replicas, $"stream {streamName}", "stream", $"nats stream edit {streamName}");

    /// <summary>The shortfall of a stream or a bucket, <paramref name="holder"/> as the message names it, <paramref name="edit"/> the command that raises it.</summary>
    internal static string? ReplicaShortfall(StreamConfig config, int replicas, string holder, string kind, string edit)
    {
        var held = Math.Max(config.NumReplicas, 1);
        return held >= replicas
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"{holder} has {held} replica(s) and Nats:Replicas asks {replicas}: the roster is lost with fewer server losses than planned. RosterBridge does not change a {kind} that exists; raise it with {edit} --replicas {replicas}");
    }

    internal static string Setting(string name, long value, string why) =>
        string.Create(CultureInfo.InvariantCulture, $"{name} is {value} ({why})");

    private static string Name(StreamConfigRetention retention) => retention switch
    {
        StreamConfigRetention.Interest => "interest",
        StreamConfigRetention.Workqueue => "workqueue",
        _ => retention.ToString().ToLowerInvariant(),
    };
}
