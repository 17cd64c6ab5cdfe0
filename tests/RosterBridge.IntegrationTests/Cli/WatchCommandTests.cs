using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Cli;

/// <summary>
/// <c>rosterbridge watch</c> as its own process with stdout redirected (not a terminal): plain lines
/// of the roster a running bridge published, then one per change, from MQTT and from NATS.
/// </summary>
public sealed class WatchCommandTests : IClassFixture<MosquittoContainer>, IClassFixture<NatsContainer>, IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private readonly MosquittoContainer _mosquitto;
    private readonly NatsContainer _nats;
    private readonly BridgeHarness _harness;

    public WatchCommandTests(MosquittoContainer mosquitto, NatsContainer nats, ITestOutputHelper output)
    {
        _mosquitto = mosquitto;
        _nats = nats;
        _harness = new BridgeHarness(mosquitto, nats, output, "watch");
    }

    public async Task InitializeAsync()
    {
        await _harness.StartDaemonAsync();
        _harness.Daemon.Attach(4, 401, "watched web", state: 3);
        _harness.Daemon.Attach(5, 402, "watched \"db\"", state: 1);
        _harness.StartBridge();
        await _harness.ConvergeAsync();
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task Over_MQTT_it_prints_the_roster_then_each_change_as_plain_lines() =>
        await WatchAsync("--mqtt", $"mqtt://{_mosquitto.Host}:{_mosquitto.Port}");

    [Fact]
    public async Task Over_NATS_it_prints_the_roster_then_each_change_as_plain_lines() =>
        await WatchAsync("--nats", $"nats://{_nats.Host}:{_nats.Port}");

    private async Task WatchAsync(string option, string url)
    {
        var node = _harness.Node;
        await using var watch = BridgeProcess.Start(["watch", option, url, "--node", node], new Dictionary<string, string>());

        // What a late subscriber finds: both occupied endpoints, the names quoted.
        await UntilLineAsync(watch, $"{node}/4 running vmid=401 name=\"watched web\" seq=");
        await UntilLineAsync(watch, $"{node}/5 ");
        Assert.Contains($"vmid=402 name=\"watched \\\"db\\\"\"", watch.Output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', watch.Output); // no terminal control when not a terminal

        // Then every change as it comes: a rename, a new VM, a vacated slot.
        _harness.Daemon.Update(4, state: 3, newName: "renamed web");
        await UntilLineAsync(watch, $"{node}/4 running vmid=401 name=\"renamed web\"");
        _harness.Daemon.Attach(60, 460, "newcomer", state: 3);
        await UntilLineAsync(watch, $"{node}/60 running vmid=460 name=\"newcomer\"");
        _harness.Daemon.Detach(5);
        await UntilLineAsync(watch, $"{node}/5 vacant");

        Assert.False(watch.HasExited);
        watch.Terminate();
        Assert.Equal(0, await watch.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("watching ", watch.Output, StringComparison.Ordinal);
    }

    private static async Task UntilLineAsync(BridgeProcess watch, string start)
    {
        try
        {
            await Retry.Until(() => watch.Output.Split('\n').Any(line => line.StartsWith(start, StringComparison.Ordinal)), Within);
        }
        catch (TimeoutException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}: no line starting {start}; rosterbridge watch said:\n{watch.Output}");
        }
    }
}
