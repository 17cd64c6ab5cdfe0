using Xunit;

namespace RosterBridge.IntegrationTests.Faults;

/// <summary>
/// Tests that measure the whole test process (live managed memory) run alone, after every other
/// collection: another test's allocations would count as theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAlone
{
    public const string Name = "alone";
}
