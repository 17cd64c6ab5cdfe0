using System.Globalization;
using Microsoft.Extensions.Configuration;
using RosterBridge.Daemon;
using RosterBridge.Payload;

namespace RosterBridge.Config;

/// <summary>
/// Reads the configuration in layers, later ones winning: the JSON file, environment variables
/// (<c>ROSTERBRIDGE_</c> prefix, <c>__</c> for nesting), then command-line options. Validates it
/// all before anything connects, and names the key of the first thing that is wrong.
/// </summary>
internal static class ConfigLoader
{
    public const string EnvironmentPrefix = "ROSTERBRIDGE_";
    public const string DefaultFileName = "rosterbridge.json";
    public const string Off = "off";

    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--node"] = "Node",
        ["--daemon"] = "Daemon:Endpoint",
        ["--mqtt"] = "Mqtt:Url",
        ["--nats"] = "Nats:Url",
        ["--config"] = "Config",
    };

    private static readonly HashSet<string> KnownKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "Config", "Node", "Daemon:Endpoint",
        "Mqtt:Url", "Mqtt:TopicPrefix", "Mqtt:Format", "Mqtt:ClientId", "Mqtt:Username", "Mqtt:Password",
        "Mqtt:KeepAliveSeconds", "Mqtt:PublishTimeoutSeconds", "Mqtt:MaxInFlight",
        "Nats:Url", "Nats:SubjectPrefix", "Nats:Stream", "Nats:Format", "Nats:Username", "Nats:Password",
        "Nats:PublishTimeoutSeconds", "Nats:MaxInFlight",
        "Reconnect:InitialDelayMs", "Reconnect:MaxDelayMs",
        "Health:Port", "Health:Address", "Outbox:Mode",
        "Logging:Level",
    };

    /// <summary>The merged configuration, before validation.</summary>
    public static IConfiguration Build(
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string?> environment,
        string defaultConfigDirectory)
    {
        var environmentKeys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment)
        {
            if (name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                environmentKeys[name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }

        var argsArray = args.ToArray();
        var overrides = new ConfigurationBuilder()
            .AddInMemoryCollection(environmentKeys)
            .AddCommandLine(argsArray, SwitchMappings)
            .Build();

        // The file is named by --config or ROSTERBRIDGE_CONFIG; a missing default file is fine.
        var explicitFile = string.IsNullOrWhiteSpace(overrides["Config"]) ? null : overrides["Config"];
        var file = explicitFile ?? Path.Combine(defaultConfigDirectory, DefaultFileName);
        if (explicitFile is not null && !File.Exists(explicitFile))
        {
            throw new ConfigException("Config", $"the file '{explicitFile}' does not exist");
        }

        var builder = new ConfigurationBuilder();
        if (File.Exists(file))
        {
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        try
        {
            return builder
                .AddInMemoryCollection(environmentKeys)
                .AddCommandLine(argsArray, SwitchMappings)
                .Build();
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigException("Config", $"the file '{file}' is not valid JSON: {ex.Message}");
        }
        catch (FormatException ex)
        {
            throw new ConfigException("command line", ex.Message);
        }
    }

    /// <summary>Keys the bridge does not know (likely typos), for a warning.</summary>
    public static IEnumerable<string> UnknownKeys(IConfiguration config) =>
        config.AsEnumerable()
            .Where(pair => pair.Value is not null && !KnownKeys.Contains(pair.Key) && !IsComment(pair.Key))
            .Select(pair => pair.Key);

    // The JSON file documents itself with "//" keys, which JSON has no other way to say.
    private static bool IsComment(string key) =>
        key.Split(':')[^1].StartsWith("//", StringComparison.Ordinal);

    public static BridgeOpts Parse(IConfiguration config, string hostName)
    {
        var node = Text(config, "Node") ?? DefaultNode(hostName);
        if (!IsValidName(node))
        {
            throw new ConfigException("Node", $"'{node}' may hold only letters, digits, '-' and '_' (it goes into topics and subjects)");
        }

        var daemonText = Text(config, "Daemon:Endpoint") ?? "unix:///run/vmsig/vmsig.sock";
        if (!DaemonEndpoint.TryParse(daemonText, out var daemon, out var daemonProblem))
        {
            throw new ConfigException("Daemon:Endpoint", daemonProblem);
        }

        var mqtt = ParseMqtt(config, node);
        var nats = ParseNats(config);
        if (mqtt is null && nats is null)
        {
            throw new ConfigException("Mqtt:Url, Nats:Url", "both sinks are off; turn on at least one");
        }

        var reconnect = new ReconnectOpts
        {
            InitialDelay = TimeSpan.FromMilliseconds(Number(config, "Reconnect:InitialDelayMs", 200, 1, 60_000)),
            MaxDelay = TimeSpan.FromMilliseconds(Number(config, "Reconnect:MaxDelayMs", 30_000, 1, 3_600_000)),
        };
        if (reconnect.MaxDelay < reconnect.InitialDelay)
        {
            throw new ConfigException("Reconnect:MaxDelayMs", "must not be less than Reconnect:InitialDelayMs");
        }

        var health = new HealthOpts
        {
            Port = Number(config, "Health:Port", 8089, 0, 65535),
            Address = Text(config, "Health:Address") ?? "127.0.0.1",
        };
        if (!System.Net.IPAddress.TryParse(health.Address, out _) && health.Address is not ("localhost" or "*" or "+"))
        {
            throw new ConfigException("Health:Address", $"'{health.Address}' is not an IP address, localhost or *");
        }

        var outboxMode = Text(config, "Outbox:Mode")?.ToUpperInvariant() switch
        {
            null or "COALESCE" => OutboxMode.Coalesce,
            "PER-EVENT" => OutboxMode.PerEvent,
            _ => throw new ConfigException("Outbox:Mode", $"'{config["Outbox:Mode"]}' is not 'coalesce' or 'per-event'"),
        };

        return new BridgeOpts
        {
            Node = node, Daemon = daemon, Mqtt = mqtt, Nats = nats, Reconnect = reconnect, Health = health, OutboxMode = outboxMode,
        };
    }

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The host name's first label: a host called pve1.example.org is node <c>pve1</c>.</summary>
    private static string DefaultNode(string hostName)
    {
        var label = hostName.Split('.')[0];
        return label.Length > 0 ? label : hostName;
    }

    private static MqttSinkOpts? ParseMqtt(IConfiguration config, string node)
    {
        var urlText = Text(config, "Mqtt:Url") ?? "mqtt://localhost:1883";
        if (urlText.Equals(Off, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!BrokerUrl.TryParse(urlText, "mqtt", MqttSinkOpts.DefaultPort, out var url))
        {
            throw new ConfigException("Mqtt:Url", $"'{urlText}' is not mqtt://HOST:PORT or 'off'");
        }

        return new MqttSinkOpts
        {
            Url = url,
            TopicPrefix = Prefix(config, "Mqtt:TopicPrefix"),
            Format = Format(config, "Mqtt:Format", PayloadFormat.Json),
            ClientId = Text(config, "Mqtt:ClientId") ?? $"rosterbridge-{node}",
            Username = Text(config, "Mqtt:Username"),
            Password = Text(config, "Mqtt:Password"),
            KeepAlive = TimeSpan.FromSeconds(Number(config, "Mqtt:KeepAliveSeconds", 15, 1, 3600)),
            PublishTimeout = TimeSpan.FromSeconds(Number(config, "Mqtt:PublishTimeoutSeconds", 10, 1, 600)),
            MaxInFlight = Number(config, "Mqtt:MaxInFlight", 16, 1, 64),
        };
    }

    private static NatsSinkOpts? ParseNats(IConfiguration config)
    {
        var urlText = Text(config, "Nats:Url") ?? "nats://localhost:4222";
        if (urlText.Equals(Off, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!BrokerUrl.TryParse(urlText, "nats", NatsSinkOpts.DefaultPort, out var url))
        {
            throw new ConfigException("Nats:Url", $"'{urlText}' is not nats://HOST:PORT or 'off'");
        }

        var stream = Text(config, "Nats:Stream") ?? "VMSIG_ROSTER";
        if (!IsValidName(stream))
        {
            throw new ConfigException("Nats:Stream", $"'{stream}' may hold only letters, digits, '-' and '_'");
        }

        return new NatsSinkOpts
        {
            Url = url,
            SubjectPrefix = Prefix(config, "Nats:SubjectPrefix"),
            Stream = stream,
            Format = Format(config, "Nats:Format", PayloadFormat.MessagePack),
            Username = Text(config, "Nats:Username"),
            Password = Text(config, "Nats:Password"),
            PublishTimeout = TimeSpan.FromSeconds(Number(config, "Nats:PublishTimeoutSeconds", 10, 1, 600)),
            MaxInFlight = Number(config, "Nats:MaxInFlight", 16, 1, 64),
        };
    }

    private static string? Text(IConfiguration config, string key)
    {
        var value = config[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static string Prefix(IConfiguration config, string key)
    {
        var prefix = Text(config, key) ?? "vmsig";
        return IsValidName(prefix)
            ? prefix
            : throw new ConfigException(key, $"'{prefix}' may hold only letters, digits, '-' and '_' (one topic level / subject token)");
    }

    private static PayloadFormat Format(IConfiguration config, string key, PayloadFormat defaultFormat) =>
        Text(config, key)?.ToUpperInvariant() switch
        {
            null => defaultFormat,
            "JSON" => PayloadFormat.Json,
            "MSGPACK" or "MESSAGEPACK" => PayloadFormat.MessagePack,
            _ => throw new ConfigException(key, $"'{config[key]}' is not 'json' or 'msgpack'"),
        };

    private static int Number(IConfiguration config, string key, int defaultValue, int min, int max)
    {
        var text = Text(config, key);
        if (text is null)
        {
            return defaultValue;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ConfigException(key, $"'{text}' is not a whole number from {min} to {max}");
    }
}
