using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;

namespace RosterBridge.IntegrationTests.HomeAssistant;

/// <summary>
/// What Home Assistant would discover for one node from a broker's retained messages, written as
/// Home Assistant reads discovery (independently of the bridge's code): the configs of this node,
/// expanded, and every retained message they could name.
/// </summary>
internal sealed partial class DiscoveryView
{
    public const string Prefix = "homeassistant";

    private static readonly string[] StateNames =
        ["unknown", "stopped", "starting", "running", "paused", "suspended", "stopping", "migrating", "crashed"];

    private DiscoveryView(string node, IReadOnlyDictionary<string, byte[]> retained)
    {
        Node = node;
        Retained = retained;
        foreach (var (topic, payload) in retained)
        {
            if (Discovery().Match(topic) is { Success: true } match && match.Groups["node"].Value == NodeId)
            {
                Configs[topic] = (match.Groups["component"].Value, match.Groups["object"].Value, Encoding.UTF8.GetString(payload));
            }
        }
    }

    public string Node { get; }

    /// <summary>The node_id level of this node's discovery topics.</summary>
    public string NodeId => $"rosterbridge_{Node}";

    /// <summary>Every non-empty retained message on the broker.</summary>
    public IReadOnlyDictionary<string, byte[]> Retained { get; }

    /// <summary>This node's discovery configs: topic → component, object id, payload.</summary>
    public Dictionary<string, (string Component, string ObjectId, string Payload)> Configs { get; } = new(StringComparer.Ordinal);

    public static string VmTopic(string node, uint vmid) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}/sensor/rosterbridge_{node}/vm_{vmid}/config");

    public static async Task<DiscoveryView> ReadAsync(Uri broker, string node) =>
        new(node, await LateSubscriber.ReadRetainedAsync(broker, "#"));

    /// <summary>The config of a topic, expanded as Home Assistant expands it.</summary>
    public JsonObject Expanded(string topic) => HomeAssistantSchema.Expand(JsonNode.Parse(Configs[topic].Payload)!.AsObject());

    /// <summary>
    /// Everything Home Assistant would find wrong, and everything that differs from the daemon's
    /// roster: empty when the node's VMs and the bridge appear exactly as they should.
    /// </summary>
    public async Task<List<string>> ProblemsAsync(IReadOnlyList<RosterSlot?> roster)
    {
        var problems = new List<string>();
        var expanded = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (topic, (component, _, payload)) in Configs)
        {
            try
            {
                expanded[topic] = HomeAssistantSchema.Expand(JsonNode.Parse(payload)!.AsObject());
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
            {
                problems.Add($"{topic}: not a JSON object: {payload}");
                continue;
            }

            problems.AddRange(HomeAssistantSchema.Problems(component, expanded[topic]).Select(problem => $"{topic}: {problem}"));
        }

        var identifiers = expanded.Values.SelectMany(config => config["device"]?["identifiers"]?.AsArray().Select(id => id!.GetValue<string>()) ?? []).ToList();
        problems.AddRange(identifiers.GroupBy(id => id).Where(group => group.Count() > 1).Select(group => $"device identifier {group.Key} on {group.Count()} configs"));
        problems.AddRange(expanded.GroupBy(config => config.Value["unique_id"]?.GetValue<string>()).Where(group => group.Key is null || group.Count() > 1)
            .Select(group => $"unique_id {group.Key ?? "(none)"} on {string.Join(", ", group.Select(config => config.Key))}"));
        foreach (var (topic, config) in expanded)
        {
            problems.AddRange(CheckCommon(topic, config, identifiers));
        }

        var expected = new Dictionary<string, (int Endpoint, RosterSlot Slot)>(StringComparer.Ordinal);
        for (var endpoint = 0; endpoint < roster.Count; endpoint++)
        {
            if (roster[endpoint] is { } slot)
            {
                expected[VmTopic(Node, slot.Vmid)] = (endpoint, slot);
            }
        }

        var bridge = $"{Prefix}/binary_sensor/{NodeId}/bridge/config";
        problems.AddRange(Configs.Keys.Where(topic => topic != bridge && !expected.ContainsKey(topic)).Select(topic => $"{topic}: no such VM on the roster (a ghost)"));
        problems.AddRange(expected.Keys.Append(bridge).Where(topic => !expanded.ContainsKey(topic)).Select(topic => $"{topic}: missing"));
        if (expanded.TryGetValue(bridge, out var bridgeConfig))
        {
            problems.AddRange(CheckBridge(bridgeConfig));
        }

        foreach (var (topic, (endpoint, slot)) in expected.Where(e => expanded.ContainsKey(e.Key)))
        {
            problems.AddRange((await CheckVmAsync(expanded[topic], endpoint, slot)).Select(problem => $"{topic}: {problem}"));
        }

        return problems;
    }

    private IEnumerable<string> CheckCommon(string topic, JsonObject config, List<string> identifiers)
    {
        if (config["device"] is not JsonObject device || device["identifiers"] is not JsonArray { Count: > 0 } || device["name"]?.GetValue<string>() is not { Length: > 0 })
        {
            yield return $"{topic}: a device needs identifiers and a name";
        }
        else if (device["via_device"]?.GetValue<string>() is { } via && !identifiers.Contains(via))
        {
            yield return $"{topic}: via_device {via} names no discovered device";
        }

        if (config["origin"] is not JsonObject origin || origin["name"]?.GetValue<string>() != "RosterBridge" || origin["sw_version"]?.GetValue<string>() is not { Length: > 0 })
        {
            yield return $"{topic}: origin must name RosterBridge and its version";
        }
        else if (origin["support_url"]?.GetValue<string>() is { } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            yield return $"{topic}: support_url {url} is no http(s) URL";
        }

        var named = new[] { config["state_topic"], config["json_attributes_topic"] }
            .Concat((config["availability"] as JsonArray ?? []).Select(item => item?["topic"]))
            .Where(node => node is not null).Select(node => node!.GetValue<string>());
        foreach (var stateTopic in named.Where(name => !Retained.ContainsKey(name)))
        {
            yield return $"{topic}: names {stateTopic}, which holds nothing";
        }
    }

    private IEnumerable<string> CheckBridge(JsonObject config)
    {
        var status = $"vmsig/{Node}/bridge/status";
        if (config["device_class"]?.GetValue<string>() != "connectivity" || config["state_topic"]?.GetValue<string>() != status)
        {
            yield return "the bridge's entity must be a connectivity sensor of its status topic";
        }

        var held = Retained.TryGetValue(status, out var payload) ? Encoding.UTF8.GetString(payload) : null;
        if (held != config["payload_on"]?.GetValue<string>() && held != config["payload_off"]?.GetValue<string>())
        {
            yield return $"the status topic holds '{held}', neither payload_on nor payload_off";
        }
    }

    private async Task<List<string>> CheckVmAsync(JsonObject config, int endpoint, RosterSlot slot)
    {
        var problems = new List<string>();
        var roster = $"vmsig/{Node}/roster/{endpoint}";
        var options = config["options"]?.AsArray().Select(option => option!.GetValue<string>()).ToList() ?? [];
        if (config["device_class"]?.GetValue<string>() != "enum" || options.Count == 0 || options.Distinct().Count() != options.Count)
        {
            problems.Add("an enum sensor needs distinct options");
        }

        if (config["state_topic"]?.GetValue<string>() != roster || config["json_attributes_topic"]?.GetValue<string>() != roster)
        {
            problems.Add($"state and attributes must be read from {roster}");
        }

        var name = slot.WireName.Length > 0 ? slot.WireName : $"VM {slot.Vmid}";
        if (config["device"]?["name"]?.GetValue<string>() != name)
        {
            problems.Add($"device name {config["device"]?["name"]} is not the VM's name '{name}'");
        }

        if (config["value_template"] is null || config["json_attributes_template"] is null || config["availability"] is not JsonArray)
        {
            problems.Add("state, attributes and availability must come from templates on the roster's entry");
        }

        if (problems.Count > 0 || !Retained.TryGetValue(roster, out var entry))
        {
            return problems;
        }

        var payload = Encoding.UTF8.GetString(entry);
        var json = JsonNode.Parse(payload)!;
        var stranger = json.DeepClone();
        stranger["vmid"] = slot.Vmid + 1; // the same topic after the slot changed hands
        var availability = config["availability"]!.AsArray().OfType<JsonObject>().Where(item => item["value_template"] is not null)
            .Select(item => item["value_template"]!.GetValue<string>()).ToList();
        var templates = new[] { config["value_template"]!.GetValue<string>(), config["json_attributes_template"]!.GetValue<string>() }.Concat(availability).ToList();
        var cases = new[] { payload, "", stranger.ToJsonString() }.SelectMany(p => templates.Select(t => (t, p))).ToList();
        var rendered = await Jinja.RenderAsync(cases);
        var byCase = cases.Zip(rendered).ToLookup(pair => pair.First.p, pair => pair.Second);
        problems.AddRange(rendered.Where(result => result.Error is not null).Select(result => $"a template failed: {result.Error}"));
        if (problems.Count > 0)
        {
            return problems;
        }

        var mine = byCase[payload].ToList();
        var expectedState = slot.State < StateNames.Length ? StateNames[slot.State] : "other";
        if (mine[0].Text != expectedState || !options.Contains(mine[0].Text!))
        {
            problems.Add($"state renders {mine[0]}, expected '{expectedState}' among the options");
        }

        var attributes = mine[1].Json() as JsonObject;
        var wanted = new JsonObject
        {
            ["vmid"] = slot.Vmid, ["endpoint"] = endpoint, ["name"] = slot.WireName, ["name_truncated"] = json["name_truncated"]!.GetValue<bool>(),
            ["state_code"] = slot.State, ["seq"] = json["seq"]!.DeepClone(), ["ts"] = json["ts"]!.DeepClone(),
        };
        if (attributes is null || !JsonNode.DeepEquals(attributes, JsonNode.Parse(wanted.ToJsonString())))
        {
            problems.Add($"attributes render {mine[1]}, expected {wanted.ToJsonString()}");
        }

        problems.AddRange(mine.Skip(2).Where(result => result.Text != "online").Select(result => $"available renders {result} for its own entry"));
        foreach (var other in new[] { "", stranger.ToJsonString() })
        {
            var results = byCase[other].ToList();
            if (!options.Contains(results[0].Text!) || results[1].Json() is not JsonObject { Count: 0 } || results.Skip(2).Any(result => result.Text != "offline"))
            {
                problems.Add($"on {(other.Length == 0 ? "an empty topic" : "another VM's entry")}: state {results[0]}, attributes {results[1]}, available {string.Join(",", results.Skip(2))}; expected an option, {{}} and offline");
            }
        }

        return problems;
    }

    // Home Assistant's TOPIC_MATCHER, after the discovery prefix.
    [GeneratedRegex(@"^homeassistant/(?<component>\w+)/(?:(?<node>[a-zA-Z0-9_-]+)/)?(?<object>[a-zA-Z0-9_-]+)/config$")]
    private static partial Regex Discovery();
}
