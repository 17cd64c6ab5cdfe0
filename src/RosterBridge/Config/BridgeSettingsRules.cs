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

        if (options.Reconnect.MaxDelayMs < options.Reconnect.InitialDelayMs)
        {
            failures.Add(ConfigException.Format("Reconnect:MaxDelayMs", "must not be less than Reconnect:InitialDelayMs"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
