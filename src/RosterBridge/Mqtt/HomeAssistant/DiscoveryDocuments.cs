using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>
/// The discovery configs of one node, in Home Assistant's per-entity form with its abbreviated keys:
/// the node's device with one entity (the bridge's connectivity, from its status topic), and per VM
/// a device with an <c>enum</c> sensor of its state. Home Assistant reads the state and attributes
/// from the roster's own retained topic through templates; every template first checks that the
/// topic still holds this VM (a slot can change hands while a config still names it), and the
/// entity is unavailable while it does not, or while the bridge is offline.
/// </summary>
internal sealed class DiscoveryDocuments(DiscoveryTopics topics, string topicPrefix, string node, DiscoveryOrigin origin)
{
    /// <summary>The option a state the bridge has no name for (<c>state_&lt;N&gt;</c>) shows as; its number is the <c>state_code</c> attribute.</summary>
    public const string OtherState = "other";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The sensor's options: the payload's state names, then <see cref="OtherState"/>.</summary>
    public static IReadOnlyList<string> StateOptions { get; } =
        [.. Enumerable.Range(0, (int)VmState.Count).Select(state => VmsigWire.VmStateName((uint)state)), OtherState];

    private static readonly string OptionsList = string.Join(", ", StateOptions.SkipLast(1).Select(option => $"'{option}'"));

    private readonly string _status = MqttTopics.Status(topicPrefix, node);

    /// <summary>True (in a template) when the message is a roster entry of this VM.</summary>
    private static string IsThisVm(uint vmid) =>
        string.Create(CultureInfo.InvariantCulture, $"value_json is defined and value_json.vmid == {vmid}");

    /// <summary>The state's name, <see cref="OtherState"/> for one without a name, or <c>unknown</c> when the topic holds no entry of this VM (the entity is unavailable then).</summary>
    public static string StateTemplate(uint vmid) =>
        $"{{% if {IsThisVm(vmid)} %}}{{{{ value_json.state if value_json.state in [{OptionsList}] else '{OtherState}' }}}}{{% else %}}unknown{{% endif %}}";

    /// <summary>The VM's attributes as a JSON object; none when the topic holds no entry of this VM.</summary>
    public static string AttributesTemplate(uint vmid) =>
        $"{{% if {IsThisVm(vmid)} %}}{{{{ {{'vmid': value_json.vmid, 'endpoint': value_json.endpoint, 'name': value_json.name, "
        + "'name_truncated': value_json.name_truncated, 'state_code': value_json.state_code, 'seq': value_json.seq, 'ts': value_json.ts} | tojson }}"
        + "{% else %}{}{% endif %}";

    /// <summary><c>online</c> while the topic holds an entry of this VM, else <c>offline</c>.</summary>
    public static string AvailabilityTemplate(uint vmid) => $"{{{{ 'online' if {IsThisVm(vmid)} else 'offline' }}}}";

    /// <summary>The node's device and its one entity: is the bridge online.</summary>
    public byte[] Bridge()
    {
        var output = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(output, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("name", "RosterBridge");
            json.WriteString("uniq_id", topics.BridgeUniqueId);
            json.WriteString("dev_cla", "connectivity");
            json.WriteString("ent_cat", "diagnostic");
            json.WriteString("stat_t", _status);
            json.WriteString("pl_on", "online");
            json.WriteString("pl_off", "offline");
            json.WriteNumber("qos", 1);
            json.WriteStartObject("dev");
            json.WriteStartArray("ids");
            json.WriteStringValue(topics.NodeId);
            json.WriteEndArray();
            json.WriteString("name", node);
            json.WriteString("mf", "vmsig");
            json.WriteString("mdl", "Hypervisor node (RosterBridge)");
            json.WriteString("sw", origin.Version);
            json.WriteEndObject();
            WriteOrigin(json);
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>The VM's device and its state sensor, reading the VM's endpoint's roster topic.</summary>
    public byte[] Vm(in DiscoveredVm vm)
    {
        var roster = MqttTopics.Roster(topicPrefix, node, vm.Endpoint);
        var output = new ArrayBufferWriter<byte>(2048);
        using (var json = new Utf8JsonWriter(output, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteString("name", "State");
            json.WriteString("uniq_id", topics.VmUniqueId(vm.Vmid));
            json.WriteString("dev_cla", "enum");
            json.WriteStartArray("ops");
            foreach (var option in StateOptions)
            {
                json.WriteStringValue(option);
            }

            json.WriteEndArray();
            json.WriteString("stat_t", roster);
            json.WriteString("val_tpl", StateTemplate(vm.Vmid));
            json.WriteString("json_attr_t", roster);
            json.WriteString("json_attr_tpl", AttributesTemplate(vm.Vmid));
            json.WriteStartArray("avty");
            json.WriteStartObject();
            json.WriteString("t", _status);
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteString("t", roster);
            json.WriteString("val_tpl", AvailabilityTemplate(vm.Vmid));
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("avty_mode", "all");
            json.WriteNumber("qos", 1);
            json.WriteString("ic", "mdi:server");
            json.WriteStartObject("dev");
            json.WriteStartArray("ids");
            json.WriteStringValue(topics.VmUniqueId(vm.Vmid));
            json.WriteEndArray();
            json.WriteString("name", vm.Name.Length > 0 ? vm.Name : string.Create(CultureInfo.InvariantCulture, $"VM {vm.Vmid}"));
            json.WriteString("mdl", "Virtual machine");
            json.WriteString("via_device", topics.NodeId);
            json.WriteEndObject();
            WriteOrigin(json);
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    private void WriteOrigin(Utf8JsonWriter json)
    {
        json.WriteStartObject("o");
        json.WriteString("name", origin.Name);
        json.WriteString("sw", origin.Version);
        if (origin.SupportUrl is { } url)
        {
            json.WriteString("url", url);
        }

        json.WriteEndObject();
    }
}
