using NATS.Client.JetStream.Models;

namespace RosterBridge.Nats;

/// <summary>
/// What a KV bucket (the stream <c>KV_{bucket}</c>) must be for the roster to live in it, checked on a
/// bucket the bridge did not create. A bucket's own ways (<c>discard new</c>, <c>deny_delete</c>, a history
/// above 1) are fine: a delete is a marker the bridge writes, and every reader takes a key's last entry.
/// Pure, like <see cref="StreamRequirements"/>, whose shared checks it adds to.
/// </summary>
internal static class BucketRequirements
{
    /// <summary>Each setting that is wrong, named as <c>nats kv</c> names it (the stream's name in parentheses), with its value and why; empty when the bucket will do.</summary>
    /// <param name="ourSubjects">The node's keys as subjects, <c>$KV.{bucket}.{node}.*</c>.</param>
    public static IReadOnlyList<string> Problems(StreamConfig config, string ourSubjects)
    {
        var problems = StreamRequirements.Shared(config, ourSubjects, bucket: true);
        if (config.MaxMsgsPerSubject < 1)
        {
            problems.Add(StreamRequirements.Setting("history (max_msgs_per_subject)", config.MaxMsgsPerSubject,
                "not a KV bucket: every value would be kept forever; RosterBridge needs 1 (or up to 64)"));
        }

        if (config.DiscardNewPerSubject && config.Discard == StreamConfigDiscard.New)
        {
            problems.Add("discard_new_per_subject is true (a key at its history would refuse its next value; RosterBridge needs false)");
        }

        return problems;
    }

    /// <summary>Why the bucket keeps fewer copies than <c>Nats:Replicas</c> asks, or null: a warning, as for a stream (<see cref="StreamRequirements.ReplicaShortfall(StreamConfig, string, int)"/>).</summary>
    public static string? ReplicaShortfall(StreamConfig config, string bucket, int replicas) =>
        StreamRequirements.ReplicaShortfall(config, replicas, $"KV bucket {bucket} (stream {NatsKeys.Stream(bucket)})", "bucket", $"nats kv edit {bucket}");
}
