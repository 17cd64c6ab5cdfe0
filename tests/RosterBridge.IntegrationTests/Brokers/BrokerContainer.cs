using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Configurations;
using DotNet.Testcontainers.Containers;
using Xunit;

namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// A broker in a container, started by Testcontainers, for use as an xUnit fixture
/// (<c>IClassFixture&lt;T&gt;</c>) or on its own (<c>await using</c>, then <see cref="InitializeAsync"/>).
/// </summary>
/// <remarks>
/// The broker's port is published on a fixed host port picked when the fixture is made, not on
/// a port the engine picks at each start: Docker hands out a new random port when a stopped
/// container starts again, so with a fixed port <see cref="Url"/> stays the same across
/// <see cref="StopAsync"/>/<see cref="StartAsync"/>, as a client reconnecting to a restarted
/// broker expects. Readiness is checked from the host with a protocol-level probe (the images
/// the tests build locally have no shell, so checks that run inside the container cannot work).
/// </remarks>
public abstract class BrokerContainer : IAsyncLifetime, IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _image;
    private readonly string _scheme;
    private readonly int _containerPort;
    private readonly Func<ContainerBuilder, ContainerBuilder> _configure;
    private IContainer _container;
    private string? _host;
    private bool _disposed;

    /// <summary>Makes the fixture; nothing is started until <see cref="InitializeAsync"/>.</summary>
    /// <param name="image">The image to run.</param>
    /// <param name="scheme">URL scheme of <see cref="Url"/>, e.g. "mqtt".</param>
    /// <param name="containerPort">The broker's port inside the container.</param>
    /// <param name="configure">Adds command, files and readiness checks to a builder.</param>
    protected BrokerContainer(string image, string scheme, int containerPort, Func<ContainerBuilder, ContainerBuilder> configure)
    {
        _image = image;
        _scheme = scheme;
        _containerPort = containerPort;
        _configure = configure;
        Port = FreeTcpPort.Find();
        _container = Build(Port);
    }

    /// <summary>The host on which the broker is published ("127.0.0.1" for a local engine).</summary>
    /// <remarks>
    /// Taken from Testcontainers at the first start and kept, since Testcontainers cannot tell it
    /// while the container is stopped when it believes it runs inside Docker (/.dockerenv exists),
    /// where it answers the container network's gateway instead.
    /// scripts/podman-service.sh sets TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 for the local Podman.
    /// </remarks>
    public string Host => _host ?? NormaliseHost(_container.Hostname);

    /// <summary>The host port the broker is published on; the same across stop and start.</summary>
    public int Port { get; private set; }

    /// <summary>The broker's URL as clients use it, e.g. <c>mqtt://127.0.0.1:41883</c>.</summary>
    public Uri Url => new($"{_scheme}://{Host}:{Port}");

    /// <summary>The image the container runs.</summary>
    public string Image => _image;

    /// <summary>The underlying container, for what this fixture does not wrap.</summary>
    public IContainer Container => _container;

    /// <summary>Starts the container and waits until the broker answers its protocol.</summary>
    /// <remarks>
    /// If the host port picked at construction was taken in the meantime by something else,
    /// the container is made again on another free port (only before the first start).
    /// </remarks>
    public async Task InitializeAsync()
    {
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync();
                return;
            }
            catch (Exception ex) when (attempt < attempts && IsPortConflict(ex))
            {
                await _container.DisposeAsync();
                Port = FreeTcpPort.Find();
                _container = Build(Port);
            }
        }
    }

    /// <summary>Starts the (stopped) container again and waits until the broker answers.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        await _container.StartAsync(timeout.Token);
        _host ??= NormaliseHost(_container.Hostname);
    }

    /// <summary>Stops the container (the broker process ends; its state in memory is lost).</summary>
    /// <remarks>A paused container is unpaused first: Podman refuses to stop a paused container.</remarks>
    /// <param name="cancellationToken">Cancels the stop.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_container.State == TestcontainersStates.Paused)
        {
            await _container.UnpauseAsync(cancellationToken);
        }

        await _container.StopAsync(cancellationToken);
    }

    /// <summary>Stops and starts the container; <see cref="Url"/> does not change.</summary>
    /// <param name="cancellationToken">Cancels the restart.</param>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken);
        await StartAsync(cancellationToken);
    }

    /// <summary>
    /// Kills the broker with SIGKILL (through the container engine's API) and waits until its
    /// container has exited: no clean shutdown, so only what the broker had on disk survives.
    /// <see cref="StartAsync"/> starts the same container again, on the same <see cref="Url"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        if (_container.State == TestcontainersStates.Paused)
        {
            await _container.UnpauseAsync(cancellationToken);
        }

        // Testcontainers stops with SIGTERM first (a broker then saves its state); a kill needs the engine itself.
        using var engine = TestcontainersSettings.OS.DockerEndpointAuthConfig.GetDockerClientBuilder(Guid.NewGuid()).Build();
        await engine.Containers.KillContainerAsync(_container.Id, new ContainerKillParameters { Signal = "KILL" }, cancellationToken);
        await engine.Containers.WaitContainerAsync(_container.Id, cancellationToken);
    }

    /// <summary>
    /// Replaces the container by a new one from the same image on the same host port, and starts
    /// it: a broker that comes back with nothing (no persistence, or its disk lost). The old
    /// container is removed, whatever state it is in.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task RecreateAsync(CancellationToken cancellationToken = default)
    {
        await _container.DisposeAsync();
        _container = Build(Port);
        await StartAsync(cancellationToken);
    }

    /// <summary>
    /// Freezes the broker's processes (cgroup freezer): connections stay open but nothing is
    /// answered, as with a hung broker or a network black hole.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task PauseAsync(CancellationToken cancellationToken = default) => _container.PauseAsync(cancellationToken);

    /// <summary>Thaws a paused broker.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task UnpauseAsync(CancellationToken cancellationToken = default) => _container.UnpauseAsync(cancellationToken);

    /// <summary>The broker's log so far (stdout and stderr).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<string> GetLogsAsync(CancellationToken cancellationToken = default)
    {
        var (stdout, stderr) = await _container.GetLogsAsync(timestampsEnabled: false, ct: cancellationToken);
        return stdout + stderr;
    }

    /// <summary>Removes the container (xUnit's <see cref="IAsyncLifetime"/> end).</summary>
    public Task DisposeAsync() => DisposeContainerAsync();

    /// <inheritdoc/>
    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeContainerAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads an image name from an environment variable, or the default if it is unset or empty.</summary>
    /// <param name="variable">The environment variable.</param>
    /// <param name="defaultImage">The official image to use otherwise.</param>
    /// <returns>The image name.</returns>
    protected static string ImageFromEnvironment(string variable, string defaultImage)
    {
        var image = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(image) ? defaultImage : image.Trim();
    }

    /// <summary>The readiness check of a broker: a probe run from the host, polled every 100 ms.</summary>
    /// <param name="probe">The protocol-level probe.</param>
    /// <returns>The wait strategy.</returns>
    protected static IWaitForContainerOS ReadyWhen(IWaitUntil probe) =>
        Wait.ForUnixContainer().AddCustomWaitStrategy(
            probe,
            strategy => strategy.WithInterval(TimeSpan.FromMilliseconds(100)).WithTimeout(StartTimeout));

    private async Task DisposeContainerAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _container.DisposeAsync();
    }

    private IContainer Build(int hostPort)
    {
        var labels = new Dictionary<string, string> { ["org.rosterbridge.test"] = GetType().Name };
        var runId = Environment.GetEnvironmentVariable("ROSTERBRIDGE_TEST_RUN_ID");
        if (!string.IsNullOrWhiteSpace(runId))
        {
            // scripts/test.sh removes containers carrying its run id when it ends.
            labels["org.rosterbridge.test-run"] = runId;
        }

        return _configure(new ContainerBuilder(_image))
            .WithPortBinding(hostPort, _containerPort)
            .WithLabel(labels)
            .Build();
    }

    private static string NormaliseHost(string hostname) =>
        string.Equals(hostname, "localhost", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" : hostname;

    private static bool IsPortConflict(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("port is already allocated", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
