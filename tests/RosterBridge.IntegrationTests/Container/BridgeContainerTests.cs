using System.Globalization;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Container;

/// <summary>
/// The bridge's image as a sidecar: beside the broker containers, as UID 1654 with a read-only root
/// file system, no capability, the daemon's socket directory mounted read-only and reachable through
/// the socket's group only. The daemon is rosterbridge-sim's engine on the host, serving a Unix
/// socket in that directory.
/// </summary>
public sealed class BridgeContainerTests : IClassFixture<BridgeImage>, IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    /// <summary>The socket's group: not the container user's own, so that only --group-add opens it.</summary>
    private const string SocketGroup = "4711";

    private const string AppUser = "1654:1654";

    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    /// <summary>What /run holds that the bridge did not make: the socket directory's mount point, Podman's marker file.</summary>
    private static readonly string[] EngineRunEntries = ["vmsig", ".containerenv"];

    private readonly BridgeImage _image;
    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly ITestOutputHelper _output;
    private readonly string _node = $"ctr-{Guid.NewGuid():N}"[..16];
    private readonly string _socketDir = Directory.CreateTempSubdirectory("rb-ctr-").FullName;
    private readonly int _healthPort = FreeTcpPort.Find();
    private SimulatedDaemon _daemon = null!;
    private IContainer _bridge = null!;

    public BridgeContainerTests(BridgeImage image, MosquittoContainer mosquitto, NatsContainer nats, ITestOutputHelper output)
    {
        _image = image;
        _mosquitto = mosquitto;
        _nats = nats;
        _output = output;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task InitializeAsync()
    {
        _daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_socketDir, "vmsig.sock"), 0), Quiet = true });
        await _daemon.StartAsync();

        // As a daemon's socket directory is set up: the socket's group may enter and connect, others not.
        await ChangeGroupAsync(_socketDir);
        await ChangeGroupAsync(_daemon.Endpoint.Address);
        File.SetUnixFileMode(_socketDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        File.SetUnixFileMode(_daemon.Endpoint.Address, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);

        var labels = new Dictionary<string, string> { ["org.rosterbridge.test"] = nameof(BridgeContainerTests) };
        if (Environment.GetEnvironmentVariable("ROSTERBRIDGE_TEST_RUN_ID") is { Length: > 0 } runId)
        {
            labels["org.rosterbridge.test-run"] = runId; // scripts/test.sh removes what a crashed run left
        }

        _bridge = new ContainerBuilder(_image.Tag)
            .WithLabel(labels)
            .WithEnvironment("ROSTERBRIDGE_NODE", _node)
            .WithEnvironment("ROSTERBRIDGE_MQTT__URL", $"mqtt://127.0.0.1:{_mosquitto.Port}")
            .WithEnvironment("ROSTERBRIDGE_NATS__URL", $"nats://127.0.0.1:{_nats.Port}")
            .WithEnvironment("ROSTERBRIDGE_HEALTH__PORT", _healthPort.ToString(CultureInfo.InvariantCulture))
            .WithBindMount(_socketDir, "/run/vmsig", AccessMode.ReadOnly)
            .WithCreateParameterModifier(create =>
            {
                create.User = AppUser;
                var host = create.HostConfig ??= new HostConfig();
                host.ReadonlyRootfs = true;
                host.GroupAdd = [SocketGroup];
                host.CapDrop = ["ALL"];
                host.SecurityOpt = ["no-new-privileges"];

                // The brokers are published on the host's loopback; the bridge reaches them there.
                host.NetworkMode = "host";
            })
            .Build();
        await _bridge.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_bridge is not null)
        {
            var (stdout, stderr) = await _bridge.GetLogsAsync();
            _output.WriteLine($"bridge container's output:\n{stdout}{stderr}");
            await _bridge.DisposeAsync();
        }

        await _daemon.DisposeAsync();
        Directory.Delete(_socketDir, recursive: true);
    }

    [Fact]
    public async Task The_image_runs_unprivileged_on_a_read_only_root_and_both_brokers_hold_the_daemons_roster()
    {
        _daemon.Attach(3, 300, "web-01", state: 3);
        _daemon.Attach(7, 301, "db-primary", state: 1);
        var expected = new ExpectedRoster(_node).Set(3, 300, "web-01", 3).Set(7, 301, "db-primary", 1);
        await ConvergeAsync(expected);

        _daemon.Update(7, state: 3, newName: "db-main");
        _daemon.Detach(3);
        _daemon.Attach(63, 302, "ウェブ東京", state: 4);
        await ConvergeAsync(expected.Vacate(3).Set(7, 301, "db-main", 3).Set(63, 302, "ウェブ東京", 4));

        // What the process really runs as, seen from the host: not just what was asked for.
        var pid = (await InspectAsync()).State?.Pid ?? throw new InvalidOperationException("the container has no state");
        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
        Assert.Contains(status, line => line.StartsWith("Uid:", StringComparison.Ordinal) && line.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1).All(id => id == "1654"));
        Assert.Contains(status, line => line.StartsWith("Groups:", StringComparison.Ordinal) && line.Contains(SocketGroup, StringComparison.Ordinal));
        Assert.Contains(status, line => line.StartsWith("CapEff:", StringComparison.Ordinal) && line.EndsWith("0000000000000000", StringComparison.Ordinal));
        // The root is read-only; the only writable places are the engine's (/dev, and the tmpfs Podman's
        // Docker API adds at /tmp, /run and /var/tmp to a read-only container), and the bridge wrote
        // nothing there. (Run without those tmpfs, `podman run --read-only --read-only-tmpfs=false`, it
        // works the same: see the README's container section.)
        var mounts = (await File.ReadAllLinesAsync($"/proc/{pid}/mountinfo")).Select(line => line.Split(' ')).ToList();
        Assert.Contains(mounts, fields => fields[4] == "/" && fields[5].Split(',').Contains("ro"));
        string[] engineTmpfs = ["/tmp", "/run", "/var/tmp"];
        var writable = mounts
            .Where(fields => fields[5].Split(',').Contains("rw"))
            .Select(fields => fields[4])
            .Where(point => !point.StartsWith("/dev", StringComparison.Ordinal) && !point.StartsWith("/proc", StringComparison.Ordinal) && !point.StartsWith("/sys", StringComparison.Ordinal));
        Assert.All(writable, point => Assert.Contains(point, engineTmpfs));
        Assert.Empty(Directory.EnumerateFileSystemEntries($"/proc/{pid}/root/tmp"));
        Assert.Empty(Directory.EnumerateFileSystemEntries($"/proc/{pid}/root/var/tmp"));
        Assert.All(Directory.EnumerateFileSystemEntries($"/proc/{pid}/root/run").Select(Path.GetFileName), entry => Assert.Contains(entry, EngineRunEntries));
    }

    [Fact]
    public async Task The_images_health_check_is_the_bridges_own_probe_and_follows_readyz()
    {
        // Podman's Docker-compatible API leaves the image's health check out; its own inspect has it.
        var (code, healthcheck, error) = await BridgeImage.RunAsync("podman", ["image", "inspect", "--format", "{{json .Config.Healthcheck.Test}} {{.Config.User}}", _image.Tag], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, error);
        Assert.Equal("""["CMD","/app/RosterBridge","ready"] 1654:1654""", healthcheck.Trim());

        _daemon.Attach(1, 400, "health", state: 3);
        await ConvergeAsync(new ExpectedRoster(_node).Set(1, 400, "health", 3));
        await Retry.Until(async () => await HealthCheckAsync() == "healthy", Converge, "the container's health is healthy");

        await _daemon.DisposeAsync(); // the daemon is gone: the bridge is no longer synced, so not ready
        await Retry.Until(async () => await HealthCheckAsync() == "unhealthy", Converge, "the container's health is unhealthy");
        Assert.Equal(TestcontainersStates.Running, _bridge.State);
    }

    /// <summary>
    /// Runs the image's HEALTHCHECK once, as the engine's timer would (this host has no systemd to
    /// run the timers), and returns the health status the engine then reports.
    /// </summary>
    private async Task<string> HealthCheckAsync()
    {
        await BridgeImage.RunAsync("podman", ["healthcheck", "run", _bridge.Id], TimeSpan.FromSeconds(60));
        return (await InspectAsync()).State?.Health?.Status ?? "none";
    }

    private async Task<ContainerInspectResponse> InspectAsync()
    {
        using var engine = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder(Guid.NewGuid()).Build();
        return await engine.Containers.InspectContainerAsync(_bridge.Id);
    }

    private static async Task ChangeGroupAsync(string path)
    {
        var (code, stdout, stderr) = await BridgeImage.RunAsync("chgrp", [SocketGroup, path], TimeSpan.FromSeconds(10));
        Assert.True(code == 0, $"chgrp {SocketGroup} {path}: {stdout}{stderr}");
    }

    private async Task ConvergeAsync(ExpectedRoster expected)
    {
        try
        {
            await Retry.Until(async () => expected.IsMatchedBy(await LateSubscriber.ReadMqttAsync(_mosquitto.Url, _node)), Converge);
            await Retry.Until(async () => expected.IsMatchedBy(await LateSubscriber.ReadNatsAsync(_nats.Url, _node)), Converge);
        }
        catch (TimeoutException ex)
        {
            var (stdout, stderr) = await _bridge.GetLogsAsync();
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nbridge container's output:\n{stdout}{stderr}");
        }
    }
}
