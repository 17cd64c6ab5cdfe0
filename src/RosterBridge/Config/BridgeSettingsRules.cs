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

        Secrets(options.Mqtt.Password, options.Mqtt.PasswordFile, "Mqtt:Password", "Mqtt:PasswordFile", failures);
        Secrets(options.Nats.Password, options.Nats.PasswordFile, "Nats:Password", "Nats:PasswordFile", failures);
        Secrets(options.Nats.Token, options.Nats.TokenFile, "Nats:Token", "Nats:TokenFile", failures);
        ClientCertificate(options.Mqtt.CertFile, options.Mqtt.KeyFile, "Mqtt", failures);
        ClientCertificate(options.Nats.CertFile, options.Nats.KeyFile, "Nats", failures);
        if (BrokerUrl.TryParse(options.Mqtt.Url ?? string.Empty, "mqtt", out var mqtt) && !mqtt.Tls
            && new[] { options.Mqtt.CaFile, options.Mqtt.CertFile }.Any(file => BridgeSettings.Trimmed(file) is not null))
        {
            failures.Add(ConfigException.Format("Mqtt:Url", $"'{options.Mqtt.Url!.Trim()}' is plaintext but TLS files are set (Mqtt:CaFile, Mqtt:CertFile): use mqtts://"));
        }

        var natsAuth = new (string Key, string? Value)[]
        {
            ("Nats:Username", options.Nats.Username), ("Nats:Token", options.Nats.Token ?? options.Nats.TokenFile),
            ("Nats:NKeyFile", options.Nats.NKeyFile), ("Nats:CredsFile", options.Nats.CredsFile),
        }.Where(auth => BridgeSettings.Trimmed(auth.Value) is not null).ToList();
        if (natsAuth.Count > 1)
        {
            failures.Add(ConfigException.Format(string.Join(", ", natsAuth.Select(auth => auth.Key)), "NATS takes one way to authenticate; set only one of them"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Secrets(string? value, string? file, string valueKey, string fileKey, List<string> failures)
    {
        if (BridgeSettings.Trimmed(value) is not null && BridgeSettings.Trimmed(file) is not null)
        {
            failures.Add(ConfigException.Format($"{valueKey}, {fileKey}", "set one of them, not both"));
        }
    }

    private static void ClientCertificate(string? certFile, string? keyFile, string section, List<string> failures)
    {
        if ((BridgeSettings.Trimmed(certFile) is null) != (BridgeSettings.Trimmed(keyFile) is null))
        {
            failures.Add(ConfigException.Format($"{section}:CertFile, {section}:KeyFile", "a client certificate needs both its certificate and its key"));
        }
    }
}
