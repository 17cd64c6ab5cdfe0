using System.Buffers;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using RosterBridge.Tests.Frames;
using RosterBridge.Tests.Roster;
using Xunit;
using static RosterBridge.Tests.Daemon.EventBytes;

namespace RosterBridge.Tests.Daemon;

public class DaemonSessionTests
{
    private readonly RosterTable _table = new();
    private readonly SinkOutbox _outbox = new();
    private readonly BridgeCounters _counters = new();
    private readonly RateLimitedLog _badInput = new(NullLogger.Instance, perWindow: 1000);
    private readonly DaemonSession _session;

    public DaemonSessionTests()
    {
        _session = new DaemonSession(new RosterFeed(_table, [_outbox]), _counters, _badInput);
    }

    private FrameOutcome Handle(byte[] wire) => _session.Handle(Body(wire));

    private List<PublishJob> Drain()
    {
        var jobs = new List<PublishJob>();
        while (_outbox.TryTake(out var job))
        {
            jobs.Add(job);
            _outbox.Complete(job, acknowledged: true);
        }

        return jobs;
    }

    private void Synced(params (int Endpoint, RosterDatum Datum)[] replay)
    {
        Assert.Equal(FrameOutcome.Continue, Handle(Welcome()));
        ulong seq = 2;
        foreach (var (endpoint, datum) in replay)
        {
            Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(endpoint, seq++, datum, replay: true)));
        }

        Assert.Equal(FrameOutcome.Synced, Handle(Sync(50)));
        Drain();
    }

    [Fact]
    public void Welcome_replay_sync_builds_the_roster_and_offers_every_slot()
    {
        Assert.Equal(SessionPhase.AwaitingWelcome, _session.Phase);

        Assert.Equal(FrameOutcome.Continue, Handle(Welcome(Capabilities.Roster | Capabilities.MemCtx, sessionId: 0xABCDEF)));
        Assert.Equal(SessionPhase.Replaying, _session.Phase);
        Assert.Equal(0xABCDEFUL, _session.SessionId);
        Assert.True(_table.IsReplaying);

        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(0, 7, Datums.Attach(100, 3, "web-01"), replay: true)));
        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(5, 3, Datums.Update(105, 4, "db"), replay: true)));
        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(63, 9, Datums.Attach(163, 42, "edge"), replay: true)));

        Assert.False(_table[0].IsOccupied);
        Assert.False(_outbox.TryTake(out _));

        Assert.Equal(FrameOutcome.Synced, Handle(Sync(10)));

        Assert.Equal(SessionPhase.Live, _session.Phase);
        Assert.Equal(64, _session.ChangedAtSync);
        Assert.True(_table.IsSynced);
        Assert.Equal(100u, _table[0].Datum.Vmid);
        Assert.Equal("web-01", Datums.NameOf(_table[0].Datum));
        Assert.Equal(105u, _table[5].Datum.Vmid);
        Assert.Equal(RosterAction.Update, _table[5].Action);
        Assert.Equal(42u, _table[63].Datum.State);
        Assert.Equal(3, Enumerable.Range(0, 64).Count(i => _table[i].IsOccupied));

        var jobs = Drain();
        Assert.Equal(Enumerable.Range(0, 64), jobs.Select(j => j.Endpoint));
        Assert.Equal([0, 5, 63], jobs.Where(j => j.State.IsOccupied).Select(j => j.Endpoint));
        Assert.Equal(163u, jobs[63].State.Datum.Vmid);
        Assert.True(_outbox.IsCaughtUp);

        Assert.Equal(5, _counters.Frames);
        Assert.Equal(3, _counters.RosterEvents);
        Assert.Equal(1, _counters.Syncs);
        Assert.Equal(0, _counters.Rejected);
        Assert.Equal(0, _counters.ProtocolErrors);
    }

    [Fact]
    public void Live_events_after_sync_reach_the_outbox_one_by_one()
    {
        Synced((5, Datums.Attach(105, 2, "db")));

        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(5, 51, Datums.Update(105, 3, "db"))));
        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(6, 52, Datums.Attach(106, 2, "new"))));
        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(5, 53, Datums.Detach(105))));

        var jobs = Drain();
        Assert.Equal([5, 6], jobs.Select(j => j.Endpoint));
        Assert.False(jobs[0].State.IsOccupied); // coalesced: the newest state of slot 5 is vacant
        Assert.Equal(106u, jobs[1].State.Datum.Vmid);
        Assert.Equal(4, _counters.RosterEvents);
    }

    [Fact]
    public void Whole_stream_read_through_the_frame_reader_from_a_fragmented_buffer()
    {
        var wire = new[]
        {
            Welcome(),
            Raw((ushort)EventType.MemCtx, 48),
            RosterEvent(1, 2, Datums.Attach(11, 3, "one"), replay: true),
            RosterEvent(2, 3, Datums.Attach(12, 3, "two"), replay: true),
            Sync(4),
            RosterEvent(2, 5, Datums.Update(12, 4, "two")),
        }.SelectMany(b => b).ToArray();
        var buffer = SegmentedSequence.Split(wire, 3, 50, 77, 150, 151, 300, 301);

        var outcomes = new List<FrameOutcome>();
        while (FrameReader.TryRead(ref buffer, out var body, out _) == FrameParseResult.Frame)
        {
            outcomes.Add(_session.Handle(body.ToArray()));
        }

        Assert.True(buffer.IsEmpty);
        Assert.Equal(
            [FrameOutcome.Continue, FrameOutcome.Continue, FrameOutcome.Continue, FrameOutcome.Continue, FrameOutcome.Synced, FrameOutcome.Continue],
            outcomes);
        Assert.Equal(4u, _table[2].Datum.State);
        Assert.Equal(11u, _table[1].Datum.Vmid);
        Assert.Equal(1, _counters.SkippedEvents);
    }

    [Fact]
    public void Welcome_without_CAP_ROSTER_is_a_daemon_error()
    {
        var outcome = Handle(Welcome(Capabilities.MemCtx));

        Assert.Equal(FrameOutcome.DaemonError, outcome);
        Assert.Equal(DaemonErrorCode.CapabilityRefused, _session.ErrorCode);
        Assert.Contains("CAP_ROSTER", _session.Problem, StringComparison.Ordinal);
        Assert.Equal(SessionPhase.AwaitingWelcome, _session.Phase);
        Assert.False(_table.IsReplaying);
    }

    [Fact]
    public void Welcome_granting_nothing_is_a_daemon_error()
    {
        Assert.Equal(FrameOutcome.DaemonError, Handle(Welcome(Capabilities.None)));
    }

    [Fact]
    public void Error_code_1_is_a_daemon_error_with_code_and_message()
    {
        var outcome = Handle(Error(1, "subscriber lacks CAP_ROSTER"));

        Assert.Equal(FrameOutcome.DaemonError, outcome);
        Assert.Equal(DaemonErrorCode.CapabilityRefused, _session.ErrorCode);
        Assert.Equal("the daemon sent ERROR 1 (capability refused): subscriber lacks CAP_ROSTER", _session.Problem);
    }

    [Theory]
    [InlineData(2u, "version unsupported")]
    [InlineData(3u, "malformed request")]
    [InlineData(99u, "unknown code")]
    public void Error_codes_are_named(uint code, string meaning)
    {
        Assert.Equal(FrameOutcome.DaemonError, Handle(Error(code, "why")));

        Assert.Equal(code, (uint)_session.ErrorCode);
        Assert.Contains($"ERROR {code} ({meaning}): why", _session.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_after_sync_is_still_a_daemon_error()
    {
        Synced();

        Assert.Equal(FrameOutcome.DaemonError, Handle(Error(3, "bye")));
    }

    [Fact]
    public void Error_message_without_NUL_uses_the_whole_payload()
    {
        var wire = Raw((ushort)EventType.Error, 48, fill: (byte)'m');
        wire[28] = 2;
        wire[29] = 0;
        wire[30] = 0;
        wire[31] = 0;

        Assert.Equal(FrameOutcome.DaemonError, Handle(wire));
        Assert.EndsWith(": " + new string('m', 44), _session.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_too_short_for_a_code_is_a_daemon_error_without_code()
    {
        Assert.Equal(FrameOutcome.DaemonError, Handle(Raw((ushort)EventType.Error, 3)));
        Assert.Equal(0u, (uint)_session.ErrorCode);
    }

    [Fact]
    public void Roster_before_welcome_is_a_protocol_error()
    {
        var outcome = Handle(RosterEvent(1, 1, Datums.Attach(1), replay: true));

        Assert.Equal(FrameOutcome.ProtocolError, outcome);
        Assert.Contains("ROSTER before WELCOME", _session.Problem, StringComparison.Ordinal);
        Assert.Equal(1, _counters.ProtocolErrors);
        Assert.False(_table[1].IsOccupied);
        Assert.False(_outbox.TryTake(out _));
    }

    [Fact]
    public void Sync_before_welcome_is_a_protocol_error()
    {
        Assert.Equal(FrameOutcome.ProtocolError, Handle(Sync()));
        Assert.Contains("SYNC before WELCOME", _session.Problem, StringComparison.Ordinal);
        Assert.False(_table.IsSynced);
    }

    [Fact]
    public void Second_welcome_is_a_protocol_error()
    {
        Handle(Welcome());

        Assert.Equal(FrameOutcome.ProtocolError, Handle(Welcome()));
        Assert.Equal(1, _counters.ProtocolErrors);
    }

    [Fact]
    public void Second_sync_is_a_protocol_error()
    {
        Synced();

        Assert.Equal(FrameOutcome.ProtocolError, Handle(Sync(60)));
        Assert.Equal(1, _counters.Syncs);
    }

    [Fact]
    public void Short_welcome_is_a_protocol_error()
    {
        Assert.Equal(FrameOutcome.ProtocolError, Handle(Raw((ushort)EventType.Welcome, 20)));
        Assert.Equal(SessionPhase.AwaitingWelcome, _session.Phase);
    }

    [Fact]
    public void Unknown_types_and_memctx_are_skipped_and_counted_in_every_phase()
    {
        Assert.Equal(FrameOutcome.Continue, Handle(Raw((ushort)EventType.MemCtx, 48)));
        Assert.Equal(FrameOutcome.Continue, Handle(Raw(99, 0)));
        Handle(Welcome());
        Assert.Equal(FrameOutcome.Continue, Handle(Raw((ushort)EventType.MemCtx, 200, endpoint: 3)));
        Assert.Equal(FrameOutcome.Continue, Handle(Raw(0, 48)));
        Assert.Equal(FrameOutcome.Continue, Handle(Raw(ushort.MaxValue, 4000)));
        Assert.Equal(FrameOutcome.Continue, Handle(Raw((ushort)EventType.Hello, 48)));
        Handle(Sync());
        Assert.Equal(FrameOutcome.Continue, Handle(Raw(18, 48, endpoint: 1)));

        Assert.Equal(7, _counters.SkippedEvents);
        Assert.Equal(9, _counters.Frames);
        Assert.Equal(0, _counters.ProtocolErrors);
        Assert.Equal(SessionPhase.Live, _session.Phase);
        Assert.DoesNotContain(Drain(), j => j.State.IsOccupied);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(VmsigWire.NoEndpoint)]
    public void Bad_endpoint_is_counted_and_not_applied(int endpoint)
    {
        Synced();

        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(endpoint, 60, Datums.Attach(1))));

        Assert.Equal(1, _counters.BadEndpoint);
        Assert.Equal(1, _counters.Rejected);
        Assert.Equal(0, _counters.RosterEvents);
        Assert.Empty(Drain());
    }

    [Fact]
    public void Bad_action_is_counted_and_not_applied()
    {
        Synced();
        var datum = Datums.Attach(1);
        datum.Action = 3;

        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(4, 60, datum)));

        Assert.Equal(1, _counters.BadAction);
        Assert.False(_table[4].IsOccupied);
        Assert.Empty(Drain());
    }

    [Fact]
    public void Bad_endpoint_and_action_in_the_replay_are_counted_and_not_staged()
    {
        Handle(Welcome());
        var badAction = Datums.Attach(2);
        badAction.Action = 77;

        Handle(RosterEvent(64, 2, Datums.Attach(1), replay: true));
        Handle(RosterEvent(3, 3, badAction, replay: true));
        Handle(Sync());

        Assert.Equal(1, _counters.BadEndpoint);
        Assert.Equal(1, _counters.BadAction);
        Assert.False(_table[3].IsOccupied);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    [InlineData(47)]
    public void Short_roster_payload_is_counted_and_not_applied(int payloadLength)
    {
        Synced();
        var wire = Raw((ushort)EventType.Roster, payloadLength, endpoint: 2, seq: 70, fill: 0);

        Assert.Equal(FrameOutcome.Continue, Handle(wire));

        Assert.Equal(1, _counters.BadLength);
        Assert.Equal(0, _counters.RosterEvents);
        Assert.False(_table[2].IsOccupied);
        Assert.Empty(Drain());
    }

    [Fact]
    public void Longer_roster_payload_uses_the_first_48_bytes()
    {
        Synced();
        var wire = RosterEvent(2, 70, Datums.Attach(22, 3, "long"));
        var longer = wire.Concat(new byte[16]).ToArray();
        BitConverter.TryWriteBytes(longer.AsSpan(0, 4), (uint)(72 + 16));

        Assert.Equal(FrameOutcome.Continue, Handle(longer));

        Assert.Equal(22u, _table[2].Datum.Vmid);
        Assert.Equal(1, _counters.RosterEvents);
    }

    [Fact]
    public void Stale_live_event_is_counted_and_not_applied()
    {
        Synced((1, Datums.Attach(11)));
        Handle(RosterEvent(1, 60, Datums.Update(11, 4)));

        Assert.Equal(FrameOutcome.Continue, Handle(RosterEvent(1, 59, Datums.Update(11, 8))));

        Assert.Equal(1, _counters.Stale);
        Assert.Equal(4u, _table[1].Datum.State);
    }

    [Fact]
    public void Bad_input_warnings_go_through_the_rate_limited_log()
    {
        var log = new RateLimitedLog(NullLogger.Instance, perWindow: 2, window: TimeSpan.FromDays(1));
        var session = new DaemonSession(new RosterFeed(new RosterTable(), []), _counters, log);
        session.Handle(Body(Welcome()));

        for (var i = 0; i < 5; i++)
        {
            session.Handle(Body(RosterEvent(64, (ulong)(10 + i), Datums.Attach(1))));
        }

        Assert.Equal(5, _counters.BadEndpoint);
        Assert.Equal(3, log.Suppressed);
    }

    [Fact]
    public void Reject_reports_a_protocol_error_and_counts_it()
    {
        Assert.Equal(FrameOutcome.ProtocolError, _session.Reject("frame length 5 is outside 24..4096"));

        Assert.Equal("frame length 5 is outside 24..4096", _session.Problem);
        Assert.Equal(1, _counters.ProtocolErrors);
    }

    [Fact]
    public void New_session_on_the_same_feed_replaces_the_roster_and_offers_only_changes()
    {
        Synced((1, Datums.Attach(11)), (2, Datums.Attach(12)));

        var next = new DaemonSession(new RosterFeed(_table, [_outbox]), _counters, _badInput);
        next.Handle(Body(Welcome(sessionId: 2)));
        next.Handle(Body(RosterEvent(2, 1, Datums.Attach(12), replay: true)));
        next.Handle(Body(RosterEvent(3, 2, Datums.Attach(13), replay: true)));

        Assert.Equal(FrameOutcome.Synced, next.Handle(Body(Sync(3))));
        Assert.Equal(2, next.ChangedAtSync);
        Assert.Equal([1, 3], Drain().Select(j => j.Endpoint).Order());
        Assert.False(_table[1].IsOccupied);
    }
}
