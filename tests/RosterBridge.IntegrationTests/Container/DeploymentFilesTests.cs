using System.Text.Json;
using Xunit;

namespace RosterBridge.IntegrationTests.Container;

/// <summary>
/// docker-compose.yml as the distribution's docker-compose reads it (<c>docker-compose config</c>:
/// the file is valid, interpolated and merged), the Dockerfile's stages and the systemd unit.
/// </summary>
public sealed class DeploymentFilesTests
{
    /// <summary>Where the host's daemon socket directory would be: a path nothing else names.</summary>
    private static readonly string HostSocketDir = $"/run/vmsig-host-{Guid.NewGuid():N}";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_compose_file_is_valid_and_its_demo_profile_never_touches_the_hosts_socket_directory()
    {
        var services = (await ComposeConfigAsync()).GetProperty("services");

        // What `docker compose --profile demo up` starts: the services of that profile and those of none.
        var demo = services.EnumerateObject().Where(service => InProfile(service.Value, "demo")).ToList();
        Assert.Equal(["mosquitto", "nats", "rosterbridge-demo", "simulator"], demo.Select(service => service.Name).Order(StringComparer.Ordinal));
        foreach (var service in demo)
        {
            Assert.DoesNotContain(HostSocketDir, service.Value.GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain(Volumes(service.Value), volume => volume.StartsWith("/run/vmsig", StringComparison.Ordinal));
        }

        Assert.Contains("vmsig-demo:/run/vmsig:ro", Volumes(services.GetProperty("rosterbridge-demo")));
        Assert.Contains("vmsig-demo:/run/vmsig:rw", Volumes(services.GetProperty("simulator")));
        Assert.Equal("simulator", services.GetProperty("simulator").GetProperty("build").GetProperty("target").GetString());

        // The bridge against the host's daemon: that directory, read-only; only in its own profile.
        var host = services.GetProperty("rosterbridge");
        Assert.False(InProfile(host, "demo"));
        Assert.Contains($"{HostSocketDir}:/run/vmsig:ro", Volumes(host));

        foreach (var bridge in new[] { host, services.GetProperty("rosterbridge-demo") })
        {
            Assert.False(bridge.GetProperty("build").TryGetProperty("target", out _), "the bridge's image is the Dockerfile's default target");
            Assert.Equal("1654:1654", bridge.GetProperty("user").GetString());
            Assert.True(bridge.GetProperty("read_only").GetBoolean());
            Assert.Equal(["ALL"], bridge.GetProperty("cap_drop").EnumerateArray().Select(cap => cap.GetString()));
            Assert.False(bridge.TryGetProperty("healthcheck", out _), "the image's HEALTHCHECK (rosterbridge ready) is the one used");
        }
    }

    [Fact]
    public async Task The_bridges_image_is_the_Dockerfiles_last_stage_and_holds_neither_the_simulator_nor_the_SDK()
    {
        var lines = await File.ReadAllLinesAsync(Path.Combine(BridgeImage.RepositoryRoot, "Dockerfile"));
        var stages = lines.Select((line, index) => (line, index)).Where(x => x.line.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        var last = stages[^1];
        Assert.Equal("FROM ${RUNTIME_DEPS_IMAGE} AS bridge", last.line);
        var bridgeStage = lines[last.index..];
        Assert.DoesNotContain(bridgeStage, line => line.Contains("rosterbridge-sim", StringComparison.Ordinal) || line.Contains("build-simulator", StringComparison.Ordinal));
        Assert.Contains(bridgeStage, line => line.StartsWith("USER 1654", StringComparison.Ordinal));
        Assert.Contains("HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD [\"/app/RosterBridge\", \"ready\"]", bridgeStage);
        Assert.Contains(lines, line => line.StartsWith("ARG SDK_IMAGE=", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("ARG RUNTIME_DEPS_IMAGE=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_systemd_unit_waits_for_the_bridges_own_readiness_notification()
    {
        var unit = await File.ReadAllLinesAsync(Path.Combine(BridgeImage.RepositoryRoot, "deploy", "rosterbridge.service"));
        Assert.Contains("Type=notify", unit);
        Assert.Contains(unit, line => line.StartsWith("ExecStart=", StringComparison.Ordinal) && line.EndsWith(" run", StringComparison.Ordinal));
    }

    private static bool InProfile(JsonElement service, string profile) =>
        !service.TryGetProperty("profiles", out var profiles) || profiles.EnumerateArray().Any(p => p.GetString() == profile);

    private static List<string> Volumes(JsonElement service) =>
        service.TryGetProperty("volumes", out var volumes) ? volumes.EnumerateArray().Select(v => v.GetString() ?? string.Empty).ToList() : [];

    /// <summary>
    /// <c>docker-compose config</c> (Debian's docker-compose; scripts/test.sh installs it) with the host
    /// socket directory set, its YAML read as JSON by python3-yaml (a dependency of that package).
    /// </summary>
    private static async Task<JsonElement> ComposeConfigAsync()
    {
        var root = BridgeImage.RepositoryRoot;
        var (code, yaml, error) = await BridgeImage.RunAsync(
            "env",
            [$"VMSIG_SOCKET_DIR={HostSocketDir}", "docker-compose", "--project-directory", root, "-f", Path.Combine(root, "docker-compose.yml"), "config"],
            ToolTimeout);
        Assert.True(code == 0, $"docker-compose config exited with {code}:\n{error}");

        var yamlFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(yamlFile, yaml);
            var (pyCode, json, pyError) = await BridgeImage.RunAsync(
                "python3", ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", yamlFile], ToolTimeout);
            Assert.True(pyCode == 0, $"python3 yaml: {pyError}");
            return JsonDocument.Parse(json).RootElement.Clone();
        }
        finally
        {
            File.Delete(yamlFile);
        }
    }
}
