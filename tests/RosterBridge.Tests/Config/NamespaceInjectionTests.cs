using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using RosterBridge.Config;
using RosterBridge.Mqtt;
using RosterBridge.Nats;
using RosterBridge.Payload;
using RosterBridge.Roster;
using RosterBridge.Tests.Roster;
using Xunit;

namespace RosterBridge.Tests.Config;

/// <summary>Nothing a user or a VM names can take the bridge out of its own topics and subjects.</summary>
public sealed class NamespaceInjectionTests
{
    public static TheoryData<string> Malicious => new()
    {
        "pve2/#", "pve1/../pve2", "#", "+", ">", "*", "pve1.pve2", "a b", "pve1\u0000", "pve/1", "$SYS", "pv\te1", new string('a', 65),
    };

    [Theory]
    [MemberData(nameof(Malicious))]
    public void A_node_name_with_a_wildcard_separator_or_anything_but_letters_digits_dash_and_underscore_is_refused(string node)
    {
        var refused = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Configuration(("Node", node)), "host"));
        Assert.Equal("Node", refused.Key);
    }

    [Theory]
    [MemberData(nameof(Malicious))]
    public void A_topic_or_subject_prefix_likewise(string prefix)
    {
        Assert.Equal("Mqtt:TopicPrefix", Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Configuration(("Mqtt:TopicPrefix", prefix)), "host")).Key);
        Assert.Equal("Nats:SubjectPrefix", Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Configuration(("Nats:SubjectPrefix", prefix)), "host")).Key);
    }

    [Theory]
    [InlineData("x/../../#")]
    [InlineData("vm.>.*")]
    [InlineData("\"},\"node\":\"pve2")]
    public void A_vm_name_only_ever_lands_inside_the_payload(string name)
    {
        var state = new SlotState(Datums.Attach(7, 3, name), RosterAction.Attach, 1, 1);
        var json = new ArrayBufferWriter<byte>();
        RosterPayload.Write(json, PayloadFormat.Json, "pve1", 7, state);
        using var payload = JsonDocument.Parse(json.WrittenMemory);

        Assert.Equal("vmsig/pve1/roster/7", MqttTopics.Roster("vmsig", "pve1", 7));
        Assert.Equal("vmsig.pve1.roster.7", NatsSubjects.Roster("vmsig", "pve1", 7));
        Assert.Equal("pve1", payload.RootElement.GetProperty("node").GetString());
        Assert.StartsWith(name[..Math.Min(name.Length, 31)], payload.RootElement.GetProperty("name").GetString(), StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(value => new KeyValuePair<string, string?>(value.Key, value.Value)))
            .Build();
}
