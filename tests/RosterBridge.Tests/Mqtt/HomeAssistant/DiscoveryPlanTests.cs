using System.Text;
using RosterBridge.Mqtt.HomeAssistant;
using Xunit;

namespace RosterBridge.Tests.Mqtt.HomeAssistant;

/// <summary>What to publish and clear, given what the broker holds and what should be there.</summary>
public sealed class DiscoveryPlanTests
{
    private static KeyValuePair<string, byte[]> Config(string topic, string payload) => new(topic, Encoding.UTF8.GetBytes(payload));

    private static Dictionary<string, byte[]> Held(params KeyValuePair<string, byte[]>[] held) => held.ToDictionary(StringComparer.Ordinal);

    private static string[] Describe(List<DiscoveryPublish> plan) =>
        [.. plan.Select(item => item.IsClear ? $"clear {item.Topic}" : $"{item.Topic}={Encoding.UTF8.GetString(item.Payload)}")];

    [Fact]
    public void Nothing_when_the_broker_holds_exactly_what_is_desired()
    {
        var desired = new[] { Config("ha/b/n/bridge/config", "B"), Config("ha/s/n/vm_1/config", "1") };

        Assert.Empty(DiscoveryPlan.Compute(desired, Held(desired), republishAll: false));
    }

    [Fact]
    public void Missing_and_changed_configs_in_desired_order_then_clears_in_topic_order()
    {
        var desired = new[] { Config("ha/b/n/bridge/config", "B"), Config("ha/s/n/vm_2/config", "2"), Config("ha/s/n/vm_1/config", "1-renamed") };
        var held = Held(Config("ha/s/n/vm_9/config", "9"), Config("ha/s/n/vm_1/config", "1"), Config("ha/s/n/junk/config", "x"), Config("ha/b/n/bridge/config", "B"));

        Assert.Equal(
            ["ha/s/n/vm_2/config=2", "ha/s/n/vm_1/config=1-renamed", "clear ha/s/n/junk/config", "clear ha/s/n/vm_9/config"],
            Describe(DiscoveryPlan.Compute(desired, held, republishAll: false)));
    }

    [Fact]
    public void A_republish_sends_every_desired_config_even_those_the_broker_holds_and_still_clears()
    {
        var desired = new[] { Config("ha/b/n/bridge/config", "B"), Config("ha/s/n/vm_1/config", "1") };
        var held = Held(Config("ha/b/n/bridge/config", "B"), Config("ha/s/n/vm_1/config", "1"), Config("ha/s/n/vm_2/config", "2"));

        Assert.Equal(
            ["ha/b/n/bridge/config=B", "ha/s/n/vm_1/config=1", "clear ha/s/n/vm_2/config"],
            Describe(DiscoveryPlan.Compute(desired, held, republishAll: true)));
    }

    [Fact]
    public void An_empty_broker_gets_everything()
    {
        var desired = new[] { Config("ha/b/n/bridge/config", "B"), Config("ha/s/n/vm_1/config", "1") };

        Assert.Equal(["ha/b/n/bridge/config=B", "ha/s/n/vm_1/config=1"], Describe(DiscoveryPlan.Compute(desired, Held(), republishAll: false)));
    }
}
