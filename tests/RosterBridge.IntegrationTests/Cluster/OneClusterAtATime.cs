using Xunit;

namespace RosterBridge.IntegrationTests.Cluster;

/// <summary>
/// The tests that run a three-server cluster run one after another: each is nine processes' worth of
/// servers and bridges, and several at once on a small CI machine would measure its load, not the bridge.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OneClusterAtATime
{
    public const string Name = "nats-cluster";
}
