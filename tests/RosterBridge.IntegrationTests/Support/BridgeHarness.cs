using Microsoft.Extensions.Logging;
using RosterBridge.Config;
using RosterBridge.Hosting;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.Simulate;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>
/// A simulated daemon and an in-process bridge for one node, against the given brokers, with
/// short timeouts so that faults are noticed in test time. Waits on what late subscribers see.
/// </summary>
internal sealed class BridgeHarness : IAsyncDisposable
{
    public static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private readonly MosquittoContainer? _mosquitto;
    private readonly NatsContainer? _nats;
    private readonly ILoggerFactory _logging;
    private readonly string _socketDir = Directory.CreateTempSubdirectory("rosterbridge-harness-").FullName;
    private CancellationTokenSource? _stop;
    private Task? _running;

    public BridgeHarness(MosquittoContainer? mosquitto, NatsContainer? nats, ITestOutputHelper output, string prefix = "h")
    {
        _mosquitto = mosquitto;
        _nats = nats;
        Node = $"{prefix}-{Guid.NewGuid():N}"[..14];
        _logging = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Debug).AddProvider(new TestOutputLoggerProvider(output)));
        Daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_socketDir, "vmsig.sock"), 0), Quiet = true });
    }

    public string Node { get; }

    public SimulatedDaemon Daemon { get; }

    public Bridge? Bridge { get; private set; }

    public async Task StartDaemonAsync() => await Daemon.StartAsync();

    /// <summary>Starts a bridge; brokers that are null are turned off, or pointed at a port nothing listens on.</summary>
    public void StartBridge(Func<BridgeOpts, BridgeOpts>? adjust = null)
    {
        var opts = new BridgeOpts
        {
            Node = Node,
            Daemon = Daemon.Endpoint,
            Mqtt = _mosquitto is null ? null : new MqttSinkOpts
            {
                Url = new BrokerUrl(_mosquitto.Host, _mosquitto.Port),
                ClientId = $"rosterbridge-{Node}",
                PublishTimeout = TimeSpan.FromSeconds(2),
                KeepAlive = TimeSpan.FromSeconds(2),
            },
            Nats = _nats is null ? null : new NatsSinkOpts { Url = new BrokerUrl(_nats.Host, _nats.Port), PublishTimeout = TimeSpan.FromSeconds(2) },
            Reconnect = new ReconnectOpts { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(500) },
            Health = new HealthOpts { Port = 0 },
        };
        Bridge = new Bridge(adjust?.Invoke(opts) ?? opts, _logging);
        _stop = new CancellationTokenSource();
        _running = Bridge.RunAsync(_stop.Token);
    }

    /// <summary>Stops the bridge as SIGTERM does (flush, offline) and checks it ended without error.</summary>
    public async Task StopBridgeAsync()
    {
        if (_stop is null || _running is null || Bridge is null)
        {
            return;
        }

        await _stop.CancelAsync();
        await _running.WaitAsync(TimeSpan.FromSeconds(30));
        _stop.Dispose();
        (_stop, _running, Bridge) = (null, null, null);
    }

    /// <summary>True while the bridge runs (it never stops on its own for a fault it can recover from).</summary>
    public bool BridgeIsRunning => _running is { IsCompleted: false };

    /// <summary>Waits until late subscribers on every broker see exactly the daemon's roster now.</summary>
    public async Task ConvergeAsync(TimeSpan? within = null)
    {
        var expected = ExpectedRoster.From(Node, Daemon.Snapshot());
        RosterView? mqtt = null;
        RosterView? nats = null;
        try
        {
            if (_mosquitto is not null)
            {
                await Retry.Until(async () => expected.IsMatchedBy(mqtt = await LateSubscriber.ReadMqttAsync(_mosquitto.Url, Node)), within ?? Converge);
            }

            if (_nats is not null)
            {
                await Retry.Until(async () => expected.IsMatchedBy(nats = await LateSubscriber.ReadNatsAsync(_nats.Url, Node)), within ?? Converge);
            }
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException(
                $"{ex.Message}\nmqtt: {(mqtt is null ? "(not read)" : expected.Mismatch(mqtt) + " — " + mqtt)}\nnats: {(nats is null ? "(not read)" : expected.Mismatch(nats) + " — " + nats)}");
        }
    }

    /// <summary>Fast random ATTACH / UPDATE / DETACH over all 64 slots, as the simulator's burst mode makes them.</summary>
    public long Burst(int events, int seed)
    {
        var generator = new LifecycleGenerator(seed);
        generator.Resync(Daemon.Snapshot());
        long applied = 0;
        for (var i = 0; i < events; i++)
        {
            if (Daemon.TryApply(generator.NextChurn()) != 0)
            {
                applied++;
            }
        }

        return applied;
    }

    /// <summary>Random ATTACH / UPDATE / DETACH over all 64 slots.</summary>
    public void Churn(int events, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < events; i++)
        {
            var endpoint = random.Next(64);
            var vacant = Daemon.Snapshot()[endpoint] is null;
            if (vacant)
            {
                Daemon.Attach(endpoint, (uint)random.Next(100, 100_000), $"vm-{random.Next(1000)}", (uint)random.Next(9));
            }
            else if (random.Next(3) == 0)
            {
                Daemon.Detach(endpoint);
            }
            else
            {
                Daemon.Update(endpoint, (uint)random.Next(9), random.Next(4) == 0 ? $"renamed-{random.Next(1000)}" : null);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopBridgeAsync();
        await Daemon.DisposeAsync();
        _logging.Dispose();
        Directory.Delete(_socketDir, recursive: true);
    }
}
