using System.Text.Json.Nodes;

namespace RosterBridge.IntegrationTests.HomeAssistant;

/// <summary>
/// A discovery config read as Home Assistant reads it: abbreviations expanded where Home Assistant
/// expands them (the config, each availability item, the device, the origin), then every key checked
/// against what the MQTT sensor and binary_sensor schemas take. The tables are Home Assistant's
/// (homeassistant/components/mqtt/abbreviations.py and the platforms' schemas), cut down to the
/// keys of those two platforms: a key outside them is a key Home Assistant would drop or refuse.
/// </summary>
internal static class HomeAssistantSchema
{
    private static readonly Dictionary<string, string> Abbreviations = new(StringComparer.Ordinal)
    {
        ["avty"] = "availability", ["avty_mode"] = "availability_mode", ["avty_t"] = "availability_topic", ["avty_tpl"] = "availability_template",
        ["def_ent_id"] = "default_entity_id", ["dev"] = "device", ["dev_cla"] = "device_class", ["e"] = "encoding", ["en"] = "enabled_by_default",
        ["ent_cat"] = "entity_category", ["ent_pic"] = "entity_picture", ["exp_aft"] = "expire_after", ["frc_upd"] = "force_update", ["ic"] = "icon",
        ["json_attr_t"] = "json_attributes_topic", ["json_attr_tpl"] = "json_attributes_template", ["lrst_val_tpl"] = "last_reset_value_template",
        ["name"] = "name", ["o"] = "origin", ["obj_id"] = "object_id", ["off_dly"] = "off_delay", ["ops"] = "options",
        ["pl_avail"] = "payload_available", ["pl_not_avail"] = "payload_not_available", ["pl_off"] = "payload_off", ["pl_on"] = "payload_on",
        ["stat_cla"] = "state_class", ["stat_t"] = "state_topic", ["sug_dsp_prc"] = "suggested_display_precision", ["t"] = "topic",
        ["uniq_id"] = "unique_id", ["unit_of_meas"] = "unit_of_measurement", ["val_tpl"] = "value_template",
    };

    private static readonly Dictionary<string, string> DeviceAbbreviations = new(StringComparer.Ordinal)
    {
        ["cns"] = "connections", ["cu"] = "configuration_url", ["hw"] = "hw_version", ["ids"] = "identifiers", ["mdl"] = "model",
        ["mdl_id"] = "model_id", ["mf"] = "manufacturer", ["name"] = "name", ["sa"] = "suggested_area", ["sn"] = "serial_number", ["sw"] = "sw_version",
    };

    private static readonly Dictionary<string, string> OriginAbbreviations = new(StringComparer.Ordinal)
    {
        ["name"] = "name", ["sw"] = "sw_version", ["url"] = "support_url",
    };

    private static readonly string[] EntityKeys =
    [
        "availability", "availability_mode", "availability_template", "availability_topic", "payload_available", "payload_not_available",
        "default_entity_id", "device", "enabled_by_default", "encoding", "entity_category", "entity_picture", "icon", "json_attributes_template",
        "json_attributes_topic", "name", "object_id", "origin", "qos", "unique_id",
    ];

    private static readonly Dictionary<string, HashSet<string>> PlatformKeys = new(StringComparer.Ordinal)
    {
        ["sensor"] = [.. EntityKeys, "state_topic", "value_template", "device_class", "options", "state_class", "unit_of_measurement",
            "expire_after", "force_update", "last_reset_value_template", "suggested_display_precision"],
        ["binary_sensor"] = [.. EntityKeys, "state_topic", "value_template", "device_class", "payload_on", "payload_off", "expire_after",
            "force_update", "off_delay"],
    };

    private static readonly HashSet<string> DeviceKeys = [.. DeviceAbbreviations.Values, "via_device"];

    private static readonly HashSet<string> AvailabilityKeys = ["topic", "payload_available", "payload_not_available", "value_template"];

    public static IReadOnlyCollection<string> Platforms => PlatformKeys.Keys;

    /// <summary>The config with every abbreviation replaced by its key, as Home Assistant does before validating it.</summary>
    public static JsonObject Expand(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var expanded = Replace(config, Abbreviations);
        if (expanded["availability"] is JsonArray availability)
        {
            expanded["availability"] = new JsonArray([.. availability.Select(item => item is JsonObject o ? (JsonNode)Replace(o, Abbreviations) : item?.DeepClone())]);
        }

        if (expanded["device"] is JsonObject device)
        {
            expanded["device"] = Replace(device, DeviceAbbreviations);
        }

        if (expanded["origin"] is JsonObject origin)
        {
            expanded["origin"] = Replace(origin, OriginAbbreviations);
        }

        return expanded;
    }

    /// <summary>Keys of an expanded config that its platform does not take, and types that are wrong.</summary>
    public static IEnumerable<string> Problems(string platform, JsonObject expanded)
    {
        ArgumentNullException.ThrowIfNull(expanded);
        if (!PlatformKeys.TryGetValue(platform, out var keys))
        {
            yield return $"platform {platform} is not one this bridge uses";
            yield break;
        }

        foreach (var (key, _) in expanded.Where(pair => !keys.Contains(pair.Key)))
        {
            yield return $"key '{key}' is not an abbreviation Home Assistant expands nor a {platform} option";
        }

        foreach (var (key, _) in (expanded["device"] as JsonObject ?? []).Where(pair => !DeviceKeys.Contains(pair.Key)))
        {
            yield return $"device key '{key}' is unknown";
        }

        foreach (var (key, _) in (expanded["origin"] as JsonObject ?? []).Where(pair => pair.Key is not ("name" or "sw_version" or "support_url")))
        {
            yield return $"origin key '{key}' is unknown";
        }

        foreach (var item in expanded["availability"] as JsonArray ?? [])
        {
            foreach (var (key, _) in (item as JsonObject ?? []).Where(pair => !AvailabilityKeys.Contains(pair.Key)))
            {
                yield return $"availability key '{key}' is unknown";
            }
        }

        if (expanded["qos"] is { } qos && qos.GetValue<int>() is < 0 or > 2)
        {
            yield return "qos is not 0, 1 or 2";
        }

        if (expanded["availability_mode"]?.GetValue<string>() is { } mode && mode is not ("all" or "any" or "latest"))
        {
            yield return $"availability_mode '{mode}'";
        }
    }

    private static JsonObject Replace(JsonObject source, Dictionary<string, string> abbreviations)
    {
        var result = new JsonObject();
        foreach (var (key, value) in source)
        {
            result[abbreviations.GetValueOrDefault(key, key)] = value?.DeepClone();
        }

        return result;
    }
}
