using Microsoft.Extensions.Configuration;
using RosterBridge.Config;
using Xunit;

namespace RosterBridge.Tests.Config;

/// <summary><c>HomeAssistant:Enabled</c> and <c>HomeAssistant:DiscoveryPrefix</c>, and what they may not be combined with.</summary>
public sealed class HomeAssistantSettingsTests
{
    /// <summary>The options from these keys; a key given twice takes its later value, as in the configuration's layers.</summary>
    private static BridgeOpts Parse(params (string Key, string Value)[] keys)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in keys)
        {
            values[key] = value;
        }

        return ConfigLoader.Parse(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), "pve1");
    }

    [Fact]
    public void Off_by_default()
    {
        Assert.Null(Parse().Mqtt!.HomeAssistant);
        Assert.Null(Parse(("HomeAssistant:Enabled", "false"), ("Mqtt:Format", "msgpack")).Mqtt!.HomeAssistant);
    }

    [Theory]
    [InlineData("true", null, "homeassistant")]
    [InlineData("True", "", "homeassistant")]
    [InlineData(" TRUE ", "ha/discovery", "ha/discovery")]
    public void Enabled_with_its_prefix(string enabled, string? prefix, string expected)
    {
        var keys = new List<(string, string)> { ("HomeAssistant:Enabled", enabled) };
        if (prefix is not null)
        {
            keys.Add(("HomeAssistant:DiscoveryPrefix", prefix));
        }

        var opts = Parse([.. keys]).Mqtt!.HomeAssistant;

        Assert.NotNull(opts);
        Assert.Equal(expected, opts.DiscoveryPrefix);
    }

    [Theory]
    [InlineData("msgpack")]
    [InlineData("MessagePack")]
    public void Refused_with_a_MessagePack_roster_which_Home_Assistant_cannot_read(string format)
    {
        var ex = Assert.Throws<ConfigException>(() => Parse(("HomeAssistant:Enabled", "true"), ("Mqtt:Format", format)));

        Assert.Equal("HomeAssistant:Enabled", ex.Key);
        Assert.Contains("set Mqtt:Format to json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refused_without_the_MQTT_sink()
    {
        var ex = Assert.Throws<ConfigException>(() => Parse(("HomeAssistant:Enabled", "true"), ("Mqtt:Url", "off")));

        Assert.Equal("HomeAssistant:Enabled", ex.Key);
        Assert.Contains("Mqtt:Url is off", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HomeAssistant:Enabled", "yes")]
    [InlineData("HomeAssistant:DiscoveryPrefix", "home/+")]
    [InlineData("HomeAssistant:DiscoveryPrefix", "home/#")]
    [InlineData("HomeAssistant:DiscoveryPrefix", "/homeassistant")]
    [InlineData("HomeAssistant:DiscoveryPrefix", "home//assistant")]
    [InlineData("HomeAssistant:DiscoveryPrefix", "home assistant")]
    public void A_bad_value_names_its_key(string key, string value)
    {
        var ex = Assert.Throws<ConfigException>(() => Parse(("HomeAssistant:Enabled", "true"), (key, value)));

        Assert.Equal(key, ex.Key);
    }
}
