using Microsoft.Extensions.Options;

namespace RosterBridge.Config;

/// <summary>The rules that span more than one key.</summary>
internal sealed class BridgeSettingsRules : IValidateOptions<BridgeSettings>
{
    public ValidateOptionsResult Validate(string? name, BridgeSettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (BrokerUrlValueAttribute.IsOff(options.Mqtt.Url) && BrokerUrlValueAttribute.IsOff(options.Nats.Url))
        {
            failures.Add(ConfigException.Format("Mqtt:Url, Nats:Url", "both sinks are off; turn on at least one"));
        }

        if (options.HomeAssistant.IsEnabled() && BrokerUrlValueAttribute.IsOff(options.Mqtt.Url))
        {
            failures.Add(ConfigException.Format("HomeAssistant:Enabled", "Home Assistant discovery is published over MQTT, and Mqtt:Url is off"));
        }
        else if (options.HomeAssistant.IsEnabled() && BridgeSettings.Trimmed(options.Mqtt.Format) is { } format
                 && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add(ConfigException.Format("HomeAssistant:Enabled",
                $"Home Assistant reads the roster's topics as JSON only, and Mqtt:Format is '{format}'; set Mqtt:Format to json"));
        }

        if (options.Reconnect.MaxDelayMs < options.Reconnect.InitialDelayMs)
        {
            failures.Add(ConfigException.Format("Reconnect:MaxDelayMs", "must not be less than Reconnect:InitialDelayMs"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
