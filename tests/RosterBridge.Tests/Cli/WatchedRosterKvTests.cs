using System.Text;
using RosterBridge.Cli;
using Xunit;

namespace RosterBridge.Tests.Cli;

/// <summary><c>rosterbridge watch</c> in KV mode: the watcher's keys are <c>{node}.{endpoint}</c>.</summary>
public class WatchedRosterKvTests
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes(
        "{\"node\":\"pve1\",\"endpoint\":3,\"vmid\":101,\"name\":\"web-01\",\"state\":\"running\",\"state_code\":3,\"action\":\"attach\",\"seq\":7,\"ts\":\"2026-01-01T00:00:00Z\"}");

    [Fact]
    public void A_kv_key_is_the_node_and_endpoint_and_a_delete_vacates_it()
    {
        var roster = new WatchedRoster();

        Assert.StartsWith("pve1/3 running vmid=101 name=\"web-01\"", roster.Apply("pve1.3", '.', Payload), StringComparison.Ordinal);
        Assert.Equal(("pve1", 3), (Assert.Single(roster.Rows).Node, roster.Rows.Single().Endpoint));
        Assert.Equal("pve1/3 vacant", roster.Apply("pve1.3", '.', [], deleted: true));
        Assert.Empty(roster.Rows);
    }

    [Theory]
    [InlineData("pve1.x")]
    [InlineData("pve1")]
    public void A_key_that_is_no_endpoint_changes_nothing(string key)
    {
        var roster = new WatchedRoster();
        Assert.Null(roster.Apply(key, '.', Payload));
        Assert.Empty(roster.Rows);
    }

    [Fact]
    public void Stream_subjects_still_have_the_node_two_tokens_before_the_endpoint()
    {
        var roster = new WatchedRoster();
        Assert.StartsWith("pve2/5 ", roster.Apply("vmsig.pve2.roster.5", '.', Payload), StringComparison.Ordinal);
    }
}
