namespace RosterBridge.Nats;

/// <summary>The JetStream API's <c>err_code</c> values the bridge tells apart.</summary>
internal static class JetStreamErrorCodes
{
    public const int StreamNotFound = 10059;
    public const int NoMessageFound = 10037;

    /// <summary>A create named a stream that exists with another configuration (another bridge made it first).</summary>
    public const int StreamNameInUse = 10058;

    /// <summary>A create asked for more replicas than the cluster has servers up to hold them ("no suitable peers for placement").</summary>
    public const int NoSuitablePeers = 10005;

    /// <summary>A create the cluster has no room for (too few servers up, or their limits).</summary>
    public const int InsufficientResources = 10023;

    /// <summary>A publish's expected last (subject) sequence is not the stream's.</summary>
    public const int WrongLastSequence = 10071;
}
