using NATS.Client.KeyValueStore;
using RosterBridge.Nats;
using Xunit;

namespace RosterBridge.Tests.Nats;

public class NatsKeysTests
{
    [Fact]
    public void An_endpoint_is_the_key_node_dot_endpoint_which_the_kv_client_accepts()
    {
        var subjects = new NatsNodeSubjects("vmsig", "pve-1_a");
        Assert.Equal("pve-1_a.0", subjects.Keys[0]);
        Assert.Equal("pve-1_a.63", subjects.Keys[63]);
        Assert.All(subjects.Keys, key => Assert.True(NatsKVStore.IsValidKey(key).Success, key));
    }

    [Fact]
    public void The_bucket_is_the_stream_KV_bucket_and_a_key_its_subject_under_KV_bucket()
    {
        Assert.Equal("KV_vmsig_roster", NatsKeys.Stream("vmsig_roster"));
        Assert.Equal("$KV.vmsig_roster.pve1.3", NatsKeys.Subject("vmsig_roster", "pve1.3"));
        Assert.Equal("$KV.vmsig_roster.pve1.*", NatsKeys.EndpointSubjects("vmsig_roster", "pve1"));
        Assert.Equal("pve1.>", NatsKeys.NodeFilter("pve1"));
        Assert.Equal("pve1.3", NatsKeys.KeyOf("vmsig_roster", "$KV.vmsig_roster.pve1.3"));
    }

    [Theory]
    [InlineData("pve1.3", "3")]
    [InlineData("pve1.3.x", "3.x")]
    [InlineData("pve10.3", "pve10.3")]
    public void After_the_node_is_an_endpoint_only_when_one_token_follows(string key, string expected)
    {
        Assert.Equal(expected, NatsKeys.AfterNode("pve1", key));
    }
}
