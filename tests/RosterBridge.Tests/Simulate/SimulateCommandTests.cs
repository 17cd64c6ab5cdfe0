using System.Net.Sockets;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Simulate;
using Xunit;
using static RosterBridge.Tests.Simulate.SimTestSupport;

namespace RosterBridge.Tests.Simulate;

public sealed class SimulateCommandTests : IDisposable
{
    private readonly string _directory = NewSocketDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--vms", "65")]
    [InlineData("--vms", "-1")]
    [InlineData("--rate", "fast")]
    [InlineData("--rate", "-2")]
    [InlineData("--rate", "NaN")]
    [InlineData("--burst", "1e6")]
    [InlineData("--seed")]
    [InlineData("--session-id", "xyz")]
    [InlineData("--session-id", "12345678901234567")]
    [InlineData("--listen", "ftp://host:1")]
    [InlineData("--listen", "unix://relative.sock")]
    [InlineData("--quiet=yes")]
    [InlineData("--listen", "unix:///tmp/0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789.sock")]
    public async Task Invalid_arguments_print_a_message_and_exit_2(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await Simulate(args, output, error, CancellationToken.None);

        Assert.Equal(2, code);
        Assert.StartsWith("rosterbridge-sim: ", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("See 'rosterbridge-sim --help'.", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task Help_prints_usage_and_exits_0()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(0, await Simulate(["--help"], output, error, CancellationToken.None));
        Assert.Contains("--burst <N>", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Examples:", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void Arguments_parse_into_options()
    {
        Assert.True(SimulateCommand.TryParse(
            ["--listen", "tcp://127.0.0.1:0", "--seed=-5", "--vms", "0", "--rate", "0.5", "--burst=1000000",
             "--session-id", "0xDEADbeef00000001", "--refuse-roster", "--quiet"],
            out var opts, out var problem), problem);

        Assert.Equal(new SimulatorOpts
        {
            Listen = new("tcp", "127.0.0.1", 0),
            Seed = -5,
            Vms = 0,
            Rate = 0.5,
            Burst = 1_000_000,
            SessionId = 0xDEADBEEF00000001,
            RefuseRoster = true,
            Quiet = true,
        }, opts);

        Assert.True(SimulateCommand.TryParse([], out var defaults, out _));
        Assert.Equal("unix:///run/vmsig/vmsig.sock", defaults.Listen.ToString());
        Assert.Equal(12, defaults.Vms);
        Assert.Equal(2, defaults.Rate);
        Assert.Equal(0, defaults.Burst);
        Assert.Null(defaults.SessionId);
    }

    [Fact]
    public async Task It_serves_the_initial_roster_then_the_burst_then_steady_events_and_exits_0_when_cancelled()
    {
        var endpoint = UnixEndpoint(_directory);
        using var text = new StringWriter();
        var output = TextWriter.Synchronized(text);
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = Simulate(
            ["--listen", endpoint.ToString(), "--seed", "17", "--vms", "5", "--rate", "200", "--burst", "3000",
             "--session-id", "abc123"],
            output, error, stop.Token);

        RawSubscriber? client = null;
        await WaitUntilAsync(() => TryConnect(endpoint, out client) || running.IsCompleted, "the simulator accepts a subscriber");
        Assert.NotNull(client);
        using (client)
        {
            var (welcome, replay, _) = await client.ReadHandshakeAsync();
            Assert.Equal(0xabc123UL, WelcomeSessionId(welcome));
            Assert.Equal(5, replay.Count);
            Assert.All(replay, f => Assert.True(f.Datum.Vmid >= LifecycleGenerator.FirstVmid));

            var model = new RosterModel();
            replay.ForEach(model.Apply);
            var frames = new List<SimFrame>();
            while (frames.Count < 3000 + 10) // the burst, then steady events (which may include MEMCTX)
            {
                var frame = await client.ReadFrameAsync();
                model.Apply(frame);
                frames.Add(frame);
            }

            Assert.All(frames.Take(3000), f => Assert.Equal(EventType.Roster, f.Type));
            Assert.All(frames, f => Assert.False(f.Header.IsReplay));
        }

        await stop.CancelAsync();
        Assert.Equal(0, await running);
        Assert.Empty(error.ToString());
        var printed = text.ToString();
        Assert.Contains($"vmsig simulator listening on {endpoint} (session 0000000000abc123, seed 17)", printed, StringComparison.Ordinal);
        Assert.Contains("burst: 3000 events in", printed, StringComparison.Ordinal);
        Assert.Contains(" ATTACH vm", printed, StringComparison.Ordinal);
        Assert.Contains(" UPDATE vm", printed, StringComparison.Ordinal);
        Assert.False(File.Exists(endpoint.Address));
    }

    [Fact]
    public async Task Quiet_prints_no_event_lines_and_refuse_roster_refuses()
    {
        var endpoint = UnixEndpoint(_directory);
        using var text = new StringWriter();
        var output = TextWriter.Synchronized(text);
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = Simulate(
            ["--listen", endpoint.ToString(), "--vms", "2", "--rate", "500", "--refuse-roster", "--quiet"],
            output, error, stop.Token);

        RawSubscriber? client = null;
        await WaitUntilAsync(() => TryConnect(endpoint, out client) || running.IsCompleted, "the simulator accepts a subscriber");
        Assert.NotNull(client);
        using (client)
        {
            var frame = await client.ReadFrameAsync();
            Assert.Equal(EventType.Error, frame.Type);
            Assert.Equal((uint)DaemonErrorCode.CapabilityRefused, ReadU32(frame.Payload, VmsigWire.ErrorCodeOffset));
            Assert.Null(await client.ReadAsync());
        }

        await stop.CancelAsync();
        Assert.Equal(0, await running);
        var printed = text.ToString();
        Assert.Contains("refusing CAP_ROSTER", printed, StringComparison.Ordinal);
        Assert.Contains("refused: ERROR 1", printed, StringComparison.Ordinal);
        Assert.DoesNotContain(" UPDATE vm", printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_socket_path_it_may_not_create_exits_1()
    {
        var blocker = Path.Combine(_directory, "file");
        await File.WriteAllTextAsync(blocker, "not a directory");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await Simulate(["--listen", $"unix://{blocker}/vmsig.sock"], output, error, CancellationToken.None);

        Assert.Equal(1, code);
        Assert.Contains("cannot listen on", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Event_lines_are_compact_and_show_truncation()
    {
        Assert.Equal("#12      ep05 ATTACH vm104 running   \"web-01\"",
            SimulateCommand.Describe(12, new SimChange(SimChangeKind.Attach, 5, 104, VmState.Running, "web-01")));
        Assert.Equal("#13      ep05 UPDATE vm104 paused",
            SimulateCommand.Describe(13, new SimChange(SimChangeKind.Update, 5, 104, VmState.Paused, null)));
        Assert.Equal("#14      ep63 DETACH vm104",
            SimulateCommand.Describe(14, new SimChange(SimChangeKind.Detach, 63, 104, 0, null)));
        Assert.Equal("#15      ep05 UPDATE vm104 paused    renamed \"本番データベースサーバー-01\" -> \"本番データベースサー\" NAME_TRUNC",
            SimulateCommand.Describe(15, new SimChange(SimChangeKind.Update, 5, 104, VmState.Paused, "本番データベースサーバー-01")));
    }

    /// <summary><c>rosterbridge-sim ARGS</c>, as its Program runs it.</summary>
    private static Task<int> Simulate(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        SimulateCommand.InvokeAsync(args, output, error, cancellationToken);

    private static bool TryConnect(DaemonEndpoint endpoint, out RawSubscriber? client)
    {
        try
        {
            client = RawSubscriber.ConnectAsync(endpoint).GetAwaiter().GetResult();
            return true;
        }
        catch (SocketException)
        {
            client = null;
            return false;
        }
    }
}
