using System.Globalization;

namespace RosterBridge.Nats;

/// <summary>
/// The names of KV mode: key <c>{node}.{endpoint}</c> in bucket <c>{bucket}</c>, which JetStream holds as
/// subject <c>$KV.{bucket}.{node}.{endpoint}</c> of stream <c>KV_{bucket}</c>. The node and the bucket are
/// names (letters, digits, '-', '_'), so a key never has a wildcard or an empty token.
/// </summary>
internal static class NatsKeys
{
    public static string Key(string node, int endpoint) =>
        string.Create(CultureInfo.InvariantCulture, $"{node}.{endpoint}");

    /// <summary>Every key under the node: its endpoints and anything else someone wrote there.</summary>
    public static string NodeFilter(string node) => $"{node}.>";

    public static string Stream(string bucket) => $"KV_{bucket}";

    public static string Subject(string bucket, string key) => $"$KV.{bucket}.{key}";

    /// <summary>What a bucket's subjects must cover: the node's endpoint keys.</summary>
    public static string EndpointSubjects(string bucket, string node) => Subject(bucket, $"{node}.*");

    /// <summary>The key of a subject of the bucket's stream (the subject itself when it is none).</summary>
    public static string KeyOf(string bucket, string subject)
    {
        var prefix = $"$KV.{bucket}.";
        return subject.StartsWith(prefix, StringComparison.Ordinal) ? subject[prefix.Length..] : subject;
    }

    /// <summary>What follows <c>{node}.</c> in a key: an endpoint ("3"), or more ("3.x") for a key that is none.</summary>
    public static string AfterNode(string node, string key) =>
        key.StartsWith(node + ".", StringComparison.Ordinal) ? key[(node.Length + 1)..] : key;
}
