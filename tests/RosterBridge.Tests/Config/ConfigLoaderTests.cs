using System.CommandLine;
using RosterBridge.Cli;
using RosterBridge.Config;
using RosterBridge.Payload;
using Xunit;

namespace RosterBridge.Tests.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private const string Host = "pve1.example.org";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rosterbridge-config-");
    private readonly Dictionary<string, string?> _env = new(StringComparer.Ordinal);

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteFile(string json, string name = ConfigLoader.DefaultFileName)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, json);
        return path;
    }

    private BridgeOpts Load(params string[] args) =>
        ConfigLoader.Parse(ConfigLoader.Build(CommandLine(args), _env, _dir.FullName), Host);

    /// <summary>The keys the command line sets, as <c>rosterbridge run</c> parses them.</summary>
    private static IReadOnlyDictionary<string, string?> CommandLine(params string[] args)
    {
        var (result, options) = ParseCommandLine(args);
        Assert.Empty(result.Errors);
        return options.Values(result);
    }

    private static (ParseResult Result, ConfigOptions Options) ParseCommandLine(params string[] args)
    {
        var command = new RootCommand();
        var options = new ConfigOptions(command);
        return (command.Parse(ConfigOptions.SplitKeyValues(args)), options);
    }

    private ConfigException Fails(params string[] args) => Assert.Throws<ConfigException>(() => Load(args));

    private static void AssertNames(ConfigException ex, string key)
    {
        Assert.Equal(key, ex.Key);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_without_file_environment_or_options()
    {
        var opts = Load();

        Assert.Equal("pve1", opts.Node);
        Assert.True(opts.Daemon.IsUnix);
        Assert.Equal("/run/vmsig/vmsig.sock", opts.Daemon.Address);

        var mqtt = Assert.IsType<MqttSinkOpts>(opts.Mqtt);
        Assert.Equal(new BrokerUrl("localhost", 1883), mqtt.Url);
        Assert.Equal("vmsig", mqtt.TopicPrefix);
        Assert.Equal(PayloadFormat.Json, mqtt.Format);
        Assert.Equal("rosterbridge-pve1", mqtt.ClientId);
        Assert.Null(mqtt.Username);
        Assert.Null(mqtt.Password);
        Assert.Equal(TimeSpan.FromSeconds(15), mqtt.KeepAlive);
        Assert.Equal(TimeSpan.FromSeconds(10), mqtt.PublishTimeout);
        Assert.Equal(16, mqtt.MaxInFlight);

        var nats = Assert.IsType<NatsSinkOpts>(opts.Nats);
        Assert.Equal(new BrokerUrl("localhost", 4222), nats.Url);
        Assert.Equal("vmsig", nats.SubjectPrefix);
        Assert.Equal("VMSIG_ROSTER", nats.Stream);
        Assert.Equal(PayloadFormat.MessagePack, nats.Format);
        Assert.Equal(TimeSpan.FromSeconds(10), nats.PublishTimeout);
        Assert.Equal(16, nats.MaxInFlight);

        Assert.Equal(TimeSpan.FromMilliseconds(200), opts.Reconnect.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), opts.Reconnect.MaxDelay);
    }

    [Theory]
    [InlineData("pve1.example.org", "pve1")]
    [InlineData("pve1", "pve1")]
    [InlineData("node-7_a.lan", "node-7_a")]
    public void Node_defaults_to_the_first_label_of_the_host_name(string host, string node)
    {
        var opts = ConfigLoader.Parse(ConfigLoader.Build(CommandLine(), _env, _dir.FullName), host);

        Assert.Equal(node, opts.Node);
    }

    [Fact]
    public void Empty_node_in_the_file_means_the_host_name()
    {
        WriteFile("""{ "Node": "" }""");

        Assert.Equal("pve1", Load().Node);
    }

    [Fact]
    public void File_then_environment_then_command_line_each_win()
    {
        WriteFile("""
            {
              "Node": "fromfile",
              "Mqtt": { "Url": "mqtt://file-broker:1001", "TopicPrefix": "filepfx", "MaxInFlight": 3 },
              "Nats": { "Url": "nats://file-nats:2002", "Stream": "FILESTREAM" },
              "Reconnect": { "InitialDelayMs": 100, "MaxDelayMs": 5000 }
            }
            """);
        _env["ROSTERBRIDGE_NODE"] = "fromenv";
        _env["ROSTERBRIDGE_MQTT__URL"] = "mqtt://env-broker:3003";
        _env["ROSTERBRIDGE_MQTT__MAXINFLIGHT"] = "5";
        _env["ROSTERBRIDGE_RECONNECT__MAXDELAYMS"] = "7000";

        var opts = Load("--mqtt", "mqtt://cli-broker:4004", "--Reconnect:MaxDelayMs", "9000");

        Assert.Equal("fromenv", opts.Node);                                  // env over file
        Assert.Equal(new BrokerUrl("cli-broker", 4004), opts.Mqtt!.Url);     // cli over env over file
        Assert.Equal("filepfx", opts.Mqtt.TopicPrefix);                       // file only
        Assert.Equal(5, opts.Mqtt.MaxInFlight);                               // env over file
        Assert.Equal(new BrokerUrl("file-nats", 2002), opts.Nats!.Url);      // file only
        Assert.Equal("FILESTREAM", opts.Nats.Stream);
        Assert.Equal(TimeSpan.FromMilliseconds(100), opts.Reconnect.InitialDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(9000), opts.Reconnect.MaxDelay); // cli over env over file

        Assert.Equal("fromcli", Load("--node", "fromcli").Node);             // cli over env
    }

    [Fact]
    public void Environment_needs_the_prefix_and_ignores_its_case()
    {
        _env["NODE"] = "unprefixed";
        _env["MQTT__URL"] = "mqtt://unprefixed:1";
        _env["rosterbridge_nats__url"] = "nats://lower:4333";

        var opts = Load();

        Assert.Equal("pve1", opts.Node);
        Assert.Equal(new BrokerUrl("localhost", 1883), opts.Mqtt!.Url);
        Assert.Equal(new BrokerUrl("lower", 4333), opts.Nats!.Url);
    }

    [Fact]
    public void Explicit_config_file_replaces_the_default_one()
    {
        WriteFile("""{ "Node": "default-file" }""");
        var other = WriteFile("""{ "Node": "other-file" }""", "other.json");

        Assert.Equal("other-file", Load("--config", other).Node);
        Assert.Equal("default-file", Load().Node);
    }

    [Fact]
    public void Config_file_can_be_named_by_the_environment()
    {
        var other = WriteFile("""{ "Node": "env-named" }""", "env.json");
        _env["ROSTERBRIDGE_CONFIG"] = other;

        Assert.Equal("env-named", Load().Node);
    }

    [Fact]
    public void Missing_explicit_config_file_names_Config()
    {
        var missing = Path.Combine(_dir.FullName, "nope.json");

        var ex = Fails("--config", missing);

        AssertNames(ex, "Config");
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Node": "x", """)]
    [InlineData("""{ "Node": "a", "Node": "b" }""")]
    [InlineData("[1, 2]")]
    [InlineData("")]
    [InlineData("Node=x")]
    public void Invalid_json_file_names_Config(string json)
    {
        WriteFile(json);

        var ex = Fails();

        AssertNames(ex, "Config");
        Assert.Contains(ConfigLoader.DefaultFileName, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--mqtt", "off")]
    [InlineData("--mqtt", "OFF")]
    [InlineData("--mqtt", "Off")]
    public void Mqtt_off_leaves_only_nats(string option, string value)
    {
        var opts = Load(option, value);

        Assert.Null(opts.Mqtt);
        Assert.NotNull(opts.Nats);
    }

    [Fact]
    public void Nats_off_leaves_only_mqtt()
    {
        var opts = Load("--nats", "off");

        Assert.Null(opts.Nats);
        Assert.NotNull(opts.Mqtt);
    }

    [Fact]
    public void Both_sinks_off_is_an_error_naming_both_keys()
    {
        _env["ROSTERBRIDGE_NATS__URL"] = "off";

        var ex = Fails("--mqtt", "off");

        Assert.Contains("Mqtt:Url", ex.Key, StringComparison.Ordinal);
        Assert.Contains("Nats:Url", ex.Key, StringComparison.Ordinal);
        Assert.Contains("Mqtt:Url", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Nats:Url", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mqtt://broker", "broker", 1883)]
    [InlineData("mqtt://broker:1884", "broker", 1884)]
    [InlineData("mqtt://broker:1884/", "broker", 1884)]
    [InlineData("mqtt://10.1.2.3:8883", "10.1.2.3", 8883)]
    [InlineData("  mqtt://padded:1  ", "padded", 1)]
    public void Mqtt_url_forms(string url, string host, int port)
    {
        Assert.Equal(new BrokerUrl(host, port), Load("--mqtt", url).Mqtt!.Url);
    }

    [Theory]
    [InlineData(null, "V5")]
    [InlineData("5", "V5")]
    [InlineData("3.1.1", "V311")]
    public void Mqtt_protocol_is_5_unless_set_to_3_1_1(string? protocol, string expected)
    {
        var opts = protocol is null ? Load() : Load($"--Mqtt:Protocol={protocol}");
        Assert.Equal(expected, opts.Mqtt!.Protocol.ToString());
    }

    [Theory]
    [InlineData("3")]
    [InlineData("3.1")]
    [InlineData("v5")]
    public void Another_mqtt_protocol_is_refused_naming_the_key(string protocol)
    {
        var refused = Fails($"--Mqtt:Protocol={protocol}");
        AssertNames(refused, "Mqtt:Protocol");
        Assert.Contains("'5' or '3.1.1'", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nats://n", "n", 4222)]
    [InlineData("nats://n:5222", "n", 5222)]
    public void Nats_url_forms(string url, string host, int port)
    {
        Assert.Equal(new BrokerUrl(host, port), Load("--nats", url).Nats!.Url);
    }

    [Theory]
    [InlineData("--mqtt", "http://broker:1883", "Mqtt:Url")]
    [InlineData("--mqtt", "nats://broker:4222", "Mqtt:Url")]
    [InlineData("--mqtt", "mqtt://broker:1883/topic", "Mqtt:Url")]
    [InlineData("--mqtt", "mqtt://broker:1883?x=1", "Mqtt:Url")]
    [InlineData("--mqtt", "broker:1883", "Mqtt:Url")]
    [InlineData("--mqtt", "mqtt://", "Mqtt:Url")]
    [InlineData("--mqtt", "no", "Mqtt:Url")]
    [InlineData("--nats", "mqtt://broker:1883", "Nats:Url")]
    [InlineData("--nats", "nats://broker:99999", "Nats:Url")]
    [InlineData("--nats", "nats:/broker", "Nats:Url")]
    [InlineData("--daemon", "unix://relative/path.sock", "Daemon:Endpoint")]
    [InlineData("--daemon", "unix://", "Daemon:Endpoint")]
    [InlineData("--daemon", "tcp://host", "Daemon:Endpoint")]
    [InlineData("--daemon", "tcp://host:0", "Daemon:Endpoint")]
    [InlineData("--daemon", "tcp://host:7000/path", "Daemon:Endpoint")]
    [InlineData("--daemon", "http://host:7000", "Daemon:Endpoint")]
    [InlineData("--daemon", "/run/vmsig/vmsig.sock", "Daemon:Endpoint")]
    public void Bad_url_names_its_key(string option, string value, string key)
    {
        var ex = Fails(option, value);

        AssertNames(ex, key);
        Assert.Contains(value.Trim(), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unix:///run/vmsig/vmsig.sock", true, "/run/vmsig/vmsig.sock", 0)]
    [InlineData("unix:///tmp/x.sock", true, "/tmp/x.sock", 0)]
    [InlineData("tcp://10.0.0.1:7000", false, "10.0.0.1", 7000)]
    [InlineData("tcp://vmsig.lan:65535", false, "vmsig.lan", 65535)]
    public void Daemon_endpoint_forms(string text, bool unix, string address, int port)
    {
        var daemon = Load("--daemon", text).Daemon;

        Assert.Equal(unix, daemon.IsUnix);
        Assert.Equal(address, daemon.Address);
        Assert.Equal(port, daemon.Port);
        Assert.Equal(text, daemon.ToString());
    }

    [Theory]
    [InlineData("a.b")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("a+b")]
    [InlineData("a#")]
    [InlineData("ä")]
    [InlineData("x*")]
    public void Invalid_node_names_Node(string node)
    {
        var ex = Fails("--node", node);

        AssertNames(ex, "Node");
        Assert.Contains(node, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_of_64_characters_is_fine_and_65_is_not()
    {
        Assert.Equal(new string('n', 64), Load("--node", new string('n', 64)).Node);
        AssertNames(Fails("--node", new string('n', 65)), "Node");
    }

    [Fact]
    public void Invalid_node_from_the_environment_names_Node()
    {
        _env["ROSTERBRIDGE_NODE"] = "a.b";

        AssertNames(Fails(), "Node");
    }

    [Fact]
    public void Invalid_node_from_the_file_names_Node()
    {
        WriteFile("""{ "Node": "a/b" }""");

        AssertNames(Fails(), "Node");
    }

    [Theory]
    [InlineData("json", false)]
    [InlineData("JSON", false)]
    [InlineData(" Json ", false)]
    [InlineData("msgpack", true)]
    [InlineData("MsgPack", true)]
    [InlineData("messagepack", true)]
    public void Formats_are_read_without_regard_to_case(string text, bool messagePack)
    {
        var format = messagePack ? PayloadFormat.MessagePack : PayloadFormat.Json;
        _env["ROSTERBRIDGE_MQTT__FORMAT"] = text;
        _env["ROSTERBRIDGE_NATS__FORMAT"] = text;

        var opts = Load();

        Assert.Equal(format, opts.Mqtt!.Format);
        Assert.Equal(format, opts.Nats!.Format);
    }

    [Theory]
    [InlineData("ROSTERBRIDGE_MQTT__FORMAT", "xml", "Mqtt:Format")]
    [InlineData("ROSTERBRIDGE_NATS__FORMAT", "cbor", "Nats:Format")]
    public void Bad_format_names_its_key(string variable, string value, string key)
    {
        _env[variable] = value;

        var ex = Fails();

        AssertNames(ex, key);
        Assert.Contains(value, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mqtt:MaxInFlight", "abc")]
    [InlineData("Mqtt:MaxInFlight", "0")]
    [InlineData("Mqtt:MaxInFlight", "65")]
    [InlineData("Mqtt:MaxInFlight", "1.5")]
    [InlineData("Mqtt:KeepAliveSeconds", "0")]
    [InlineData("Mqtt:KeepAliveSeconds", "3601")]
    [InlineData("Mqtt:PublishTimeoutSeconds", "-1")]
    [InlineData("Nats:MaxInFlight", "99999999999")]
    [InlineData("Nats:PublishTimeoutSeconds", "ten")]
    [InlineData("Reconnect:InitialDelayMs", "0")]
    [InlineData("Reconnect:InitialDelayMs", "60001")]
    [InlineData("Reconnect:MaxDelayMs", "3600001")]
    public void Bad_number_names_its_key(string key, string value)
    {
        var ex = Fails($"--{key}", value);

        AssertNames(ex, key);
        Assert.Contains(value, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_at_their_limits_are_accepted()
    {
        var opts = Load(
            "--Mqtt:MaxInFlight", "64", "--Nats:MaxInFlight", "1", "--Mqtt:KeepAliveSeconds", "3600",
            "--Reconnect:InitialDelayMs", "60000", "--Reconnect:MaxDelayMs", "3600000");

        Assert.Equal(64, opts.Mqtt!.MaxInFlight);
        Assert.Equal(1, opts.Nats!.MaxInFlight);
        Assert.Equal(TimeSpan.FromHours(1), opts.Mqtt.KeepAlive);
        Assert.Equal(TimeSpan.FromMinutes(1), opts.Reconnect.InitialDelay);
        Assert.Equal(TimeSpan.FromHours(1), opts.Reconnect.MaxDelay);
    }

    [Fact]
    public void Max_delay_below_initial_delay_names_MaxDelayMs()
    {
        AssertNames(Fails("--Reconnect:InitialDelayMs", "5000", "--Reconnect:MaxDelayMs", "4999"), "Reconnect:MaxDelayMs");
    }

    [Theory]
    [InlineData("Mqtt:TopicPrefix", "a/b")]
    [InlineData("Mqtt:TopicPrefix", "a+")]
    [InlineData("Nats:SubjectPrefix", "a.b")]
    [InlineData("Nats:SubjectPrefix", "a>")]
    [InlineData("Nats:Stream", "A.B")]
    public void Bad_prefix_or_stream_names_its_key(string key, string value)
    {
        AssertNames(Fails($"--{key}", value), key);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("::1", "::1")]
    [InlineData("[::1]", "::1")]
    [InlineData("::", "::")]
    [InlineData("localhost", "localhost")]
    [InlineData("*", "*")]
    public void Health_address_forms(string address, string expected)
    {
        Assert.Equal(expected, Load($"--Health:Address={address}").Health.Address);
    }

    [Theory]
    [InlineData("Health:Address", "example.org")]
    [InlineData("Health:Address", "1.2.3.4.5")]
    [InlineData("Health:Address", "[::1")]
    [InlineData("Health:Port", "65536")]
    [InlineData("Logging:Level", "Verbose")]
    [InlineData("Logging:Format", "xml")]
    [InlineData("Outbox:Mode", "batch")]
    public void Other_bad_values_name_their_key(string key, string value)
    {
        var ex = Fails($"--{key}", value);

        AssertNames(ex, key);
        Assert.Contains(value, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_socket_path_of_107_bytes_is_fine_and_108_is_not()
    {
        // sun_path holds 108 bytes with the closing NUL; "é" is 2 bytes in UTF-8.
        var fits = "/" + new string('s', 104) + "é";
        var tooLong = fits + "s";

        Assert.Equal(fits, Load("--daemon", $"unix://{fits}").Daemon.Address);
        var ex = Fails("--daemon", $"unix://{tooLong}");
        AssertNames(ex, "Daemon:Endpoint");
        Assert.Contains("108 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blank_values_mean_the_defaults()
    {
        _env["ROSTERBRIDGE_NODE"] = " ";
        _env["ROSTERBRIDGE_MQTT__MAXINFLIGHT"] = string.Empty;
        _env["ROSTERBRIDGE_MQTT__FORMAT"] = string.Empty;
        _env["ROSTERBRIDGE_HEALTH__ADDRESS"] = string.Empty;

        var opts = Load();

        Assert.Equal("pve1", opts.Node);
        Assert.Equal(16, opts.Mqtt!.MaxInFlight);
        Assert.Equal(PayloadFormat.Json, opts.Mqtt.Format);
        Assert.Equal("127.0.0.1", opts.Health.Address);
    }

    [Fact]
    public void Credentials_and_client_id_are_passed_on()
    {
        var opts = Load(
            "--Mqtt:ClientId", "bridge-a", "--Mqtt:Username", "mu", "--Mqtt:Password", "mp",
            "--Nats:Username", "nu", "--Nats:Password", "np");

        Assert.Equal("bridge-a", opts.Mqtt!.ClientId);
        Assert.Equal("mu", opts.Mqtt.Username);
        Assert.Equal("mp", opts.Mqtt.Password!.Read());
        Assert.Equal("nu", opts.Nats!.Username);
        Assert.Equal("np", opts.Nats.Password!.Read());
    }

    [Fact]
    public void Unknown_keys_of_the_file_and_the_environment_are_reported_but_comments_are_not()
    {
        WriteFile("""
            {
              "//": "a comment",
              "Node": "n1",
              "Mqtt": { "//Url": "a comment", "Urll": "typo" },
              "Daemon": { "Endpont": "typo" }
            }
            """);
        _env["ROSTERBRIDGE_NATS__STREEM"] = "typo";
        _env["ROSTERBRIDGE_TEST_MOSQUITTO_IMAGE"] = "not the bridge's";

        var config = ConfigLoader.Build(CommandLine(), _env, _dir.FullName);
        var unknown = ConfigLoader.UnknownKeys(config).ToList();

        Assert.Equal(["Daemon:Endpont", "Mqtt:Urll", "NATS:STREEM", "TEST_MOSQUITTO_IMAGE"], unknown.Order(StringComparer.OrdinalIgnoreCase));
        Assert.Equal("n1", ConfigLoader.Parse(config, Host).Node); // a warning, not an error
    }

    [Fact]
    public void Known_keys_are_read_off_the_settings_types_and_are_the_documented_ones()
    {
        string[] documented =
        [
            "Config", "Node", "Daemon:Endpoint",
            "Mqtt:Url", "Mqtt:TopicPrefix", "Mqtt:Format", "Mqtt:Protocol", "Mqtt:ClientId", "Mqtt:Username", "Mqtt:Password",
            "Mqtt:PasswordFile", "Mqtt:CaFile", "Mqtt:CertFile", "Mqtt:KeyFile",
            "Mqtt:KeepAliveSeconds", "Mqtt:PublishTimeoutSeconds", "Mqtt:MaxInFlight",
            "Nats:Url", "Nats:SubjectPrefix", "Nats:Stream", "Nats:Mode", "Nats:Bucket", "Nats:Format", "Nats:Username", "Nats:Password",
            "Nats:PasswordFile", "Nats:Token", "Nats:TokenFile", "Nats:NKeyFile", "Nats:CredsFile", "Nats:CaFile", "Nats:CertFile", "Nats:KeyFile",
            "Nats:PublishTimeoutSeconds", "Nats:MaxInFlight", "Nats:Replicas", "HomeAssistant:Enabled", "HomeAssistant:DiscoveryPrefix",
            "Reconnect:InitialDelayMs", "Reconnect:MaxDelayMs", "Health:Port", "Health:Address", "Outbox:Mode", "Logging:Level",
            "Logging:Format",
        ];

        Assert.Equal(documented.Order(StringComparer.Ordinal), ConfigKeys.All.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Shipped_config_file_gives_the_built_in_defaults_and_has_no_unknown_keys()
    {
        // config/rosterbridge.json is copied next to the bridge (and so next to these tests).
        var shipped = Path.Combine(AppContext.BaseDirectory, ConfigLoader.DefaultFileName);
        Assert.True(File.Exists(shipped), $"{shipped} is missing");

        var config = ConfigLoader.Build(CommandLine("--config", shipped), _env, _dir.FullName);
        var fromFile = ConfigLoader.Parse(config, Host);
        var builtIn = Load();

        Assert.Empty(ConfigLoader.UnknownKeys(config));
        Assert.Equal(builtIn.Node, fromFile.Node);
        Assert.Equal(builtIn.Daemon, fromFile.Daemon);
        Assert.Equal(builtIn.Mqtt, fromFile.Mqtt);
        Assert.Equal(builtIn.Nats, fromFile.Nats);
        Assert.Equal(builtIn.Reconnect, fromFile.Reconnect);
    }
}
