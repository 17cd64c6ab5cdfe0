using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using RosterBridge.Config;
using RosterBridge.Mqtt.HomeAssistant;
using Xunit;

namespace RosterBridge.Tests.Mqtt.HomeAssistant;

/// <summary>The discovery configs made from slot states: keys, ids, topics.</summary>
public sealed class DiscoveryDocumentsTests
{
    private static readonly DiscoveryOrigin Origin = new("RosterBridge", "1.2.3", "https://example.org/rosterbridge");

    private static readonly DiscoveryDocuments Documents = new(new DiscoveryTopics("homeassistant", "pve1"), "vmsig", "pve1", Origin);

    private static JsonElement Parse(byte[] document)
    {
        using var json = JsonDocument.Parse(document);
        return json.RootElement.Clone();
    }

    private static string[] Keys(JsonElement element) => [.. element.EnumerateObject().Select(property => property.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public void A_VM_is_a_device_via_the_node_with_an_enum_sensor_reading_its_roster_topic()
    {
        var vm = Parse(Documents.Vm(new DiscoveredVm(101, 3, "web-01")));

        Assert.Equal(
            ["avty", "avty_mode", "dev", "dev_cla", "ic", "json_attr_t", "json_attr_tpl", "name", "o", "ops", "qos", "stat_t", "uniq_id", "val_tpl"],
            Keys(vm));
        Assert.Equal("rosterbridge_pve1_vm_101", vm.GetProperty("uniq_id").GetString());
        Assert.Equal("enum", vm.GetProperty("dev_cla").GetString());
        Assert.Equal(
            ["unknown", "stopped", "starting", "running", "paused", "suspended", "stopping", "migrating", "crashed", "other"],
            vm.GetProperty("ops").EnumerateArray().Select(option => option.GetString()));
        Assert.Equal("vmsig/pve1/roster/3", vm.GetProperty("stat_t").GetString());
        Assert.Equal("vmsig/pve1/roster/3", vm.GetProperty("json_attr_t").GetString());
        Assert.Equal(DiscoveryDocuments.StateTemplate(101), vm.GetProperty("val_tpl").GetString());
        Assert.Equal(DiscoveryDocuments.AttributesTemplate(101), vm.GetProperty("json_attr_tpl").GetString());
        Assert.Equal("all", vm.GetProperty("avty_mode").GetString());

        var availability = vm.GetProperty("avty").EnumerateArray().ToList();
        Assert.Equal(2, availability.Count);
        Assert.Equal(["t"], Keys(availability[0]));
        Assert.Equal("vmsig/pve1/bridge/status", availability[0].GetProperty("t").GetString());
        Assert.Equal(["t", "val_tpl"], Keys(availability[1]));
        Assert.Equal("vmsig/pve1/roster/3", availability[1].GetProperty("t").GetString());
        Assert.Equal(DiscoveryDocuments.AvailabilityTemplate(101), availability[1].GetProperty("val_tpl").GetString());

        var device = vm.GetProperty("dev");
        Assert.Equal(["ids", "mdl", "name", "via_device"], Keys(device));
        Assert.Equal(["rosterbridge_pve1_vm_101"], device.GetProperty("ids").EnumerateArray().Select(id => id.GetString()));
        Assert.Equal("web-01", device.GetProperty("name").GetString());
        Assert.Equal("rosterbridge_pve1", device.GetProperty("via_device").GetString());

        var origin = vm.GetProperty("o");
        Assert.Equal(["name", "sw", "url"], Keys(origin));
        Assert.Equal("RosterBridge", origin.GetProperty("name").GetString());
        Assert.Equal("1.2.3", origin.GetProperty("sw").GetString());
        Assert.Equal("https://example.org/rosterbridge", origin.GetProperty("url").GetString());
    }

    [Fact]
    public void Every_template_first_checks_that_the_topic_holds_this_VM()
    {
        Assert.All(
            [DiscoveryDocuments.StateTemplate(4242), DiscoveryDocuments.AttributesTemplate(4242), DiscoveryDocuments.AvailabilityTemplate(4242)],
            template => Assert.Contains("value_json is defined and value_json.vmid == 4242", template, StringComparison.Ordinal));
    }

    [Fact]
    public void The_node_is_a_device_with_the_bridge_connectivity_from_its_status_topic()
    {
        var bridge = Parse(Documents.Bridge());

        Assert.Equal(["dev", "dev_cla", "ent_cat", "name", "o", "pl_off", "pl_on", "qos", "stat_t", "uniq_id"], Keys(bridge));
        Assert.Equal("rosterbridge_pve1_bridge", bridge.GetProperty("uniq_id").GetString());
        Assert.Equal("connectivity", bridge.GetProperty("dev_cla").GetString());
        Assert.Equal("vmsig/pve1/bridge/status", bridge.GetProperty("stat_t").GetString());
        Assert.Equal("online", bridge.GetProperty("pl_on").GetString());
        Assert.Equal("offline", bridge.GetProperty("pl_off").GetString());
        Assert.Equal(["rosterbridge_pve1"], bridge.GetProperty("dev").GetProperty("ids").EnumerateArray().Select(id => id.GetString()));
        Assert.Equal("pve1", bridge.GetProperty("dev").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("", "VM 101")]
    [InlineData("サーバー \"quoted\" 'single'", "サーバー \"quoted\" 'single'")]
    public void The_device_is_named_after_the_VM(string name, string deviceName)
    {
        var document = Documents.Vm(new DiscoveredVm(101, 0, name));

        Assert.Equal(deviceName, Parse(document).GetProperty("dev").GetProperty("name").GetString());
    }

    [Fact]
    public void Names_stay_readable_in_the_config()
    {
        var document = Documents.Vm(new DiscoveredVm(101, 0, "サーバー"));

        Assert.True(document.AsSpan().IndexOf("\"name\":\"サーバー\""u8) >= 0, System.Text.Encoding.UTF8.GetString(document));
    }

    [Fact]
    public void Without_a_support_url_the_origin_leaves_it_out()
    {
        var documents = new DiscoveryDocuments(new DiscoveryTopics("homeassistant", "pve1"), "vmsig", "pve1", Origin with { SupportUrl = null });

        Assert.Equal(["name", "sw"], Keys(Parse(documents.Vm(new DiscoveredVm(1, 0, "a"))).GetProperty("o")));
    }

    [Fact]
    public void Topics_and_ids_live_under_this_node_id_and_the_prefix()
    {
        var topics = new DiscoveryTopics("ha/disc", "node-7");

        Assert.Equal("ha/disc/+/rosterbridge_node-7/+/config", topics.Filter);
        Assert.Equal("ha/disc/status", topics.Birth);
        Assert.Equal("ha/disc/binary_sensor/rosterbridge_node-7/bridge/config", topics.Bridge);
        Assert.Equal("ha/disc/sensor/rosterbridge_node-7/vm_4294967295/config", topics.Vm(uint.MaxValue));
        Assert.Equal("rosterbridge_node-7_vm_12", topics.VmUniqueId(12));
    }

    [Fact]
    public void Desired_configs_wait_for_the_roster_then_come_node_device_first_and_change_only_with_what_they_show()
    {
        var discovery = new HomeAssistantDiscovery(new HomeAssistantOpts(), "vmsig", "pve1", new FakeTimeProvider(), Origin);
        Assert.Null(discovery.Desired());

        Slots.OfferAll((endpoint, state) => discovery.Offer(endpoint, state), (9, Slots.Vm(202, "b")), (2, Slots.Vm(101, "a")));
        var first = Assert.IsType<List<KeyValuePair<string, byte[]>>>(discovery.Desired());

        Assert.Equal(
            ["homeassistant/binary_sensor/rosterbridge_pve1/bridge/config", "homeassistant/sensor/rosterbridge_pve1/vm_101/config", "homeassistant/sensor/rosterbridge_pve1/vm_202/config"],
            first.Select(config => config.Key));

        discovery.Offer(2, Slots.Vm(101, "a", state: 8, seq: 2)); // a state change: the same configs
        Assert.Equal(first.Select(config => config.Value), discovery.Desired()!.Select(config => config.Value));

        discovery.Offer(2, Slots.Vm(101, "a-renamed", seq: 3));
        var renamed = discovery.Desired()!;
        Assert.Equal("a-renamed", Parse(renamed[1].Value).GetProperty("dev").GetProperty("name").GetString());
        Assert.Equal(first[2].Value, renamed[2].Value);
    }
}
