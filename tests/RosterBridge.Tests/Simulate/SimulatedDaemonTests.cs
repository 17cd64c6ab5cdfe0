using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using RosterBridge.Frames;
using RosterBridge.Roster;
using RosterBridge.Simulate;
using Xunit;
using static RosterBridge.Tests.Simulate.SimTestSupport;

namespace RosterBridge.Tests.Simulate;

public sealed class SimulatedDaemonTests : IDisposable
{
    private readonly string _directory = NewSocketDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Unix_socket_gives_welcome_replay_of_occupied_slots_sync_then_live_events_in_seq_order()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory), SessionId = 0xfeedface12345678 });
        daemon.Attach(3, 100, "web-01", VmState.Running);
        daemon.Attach(7, 101, "db-primary", VmState.Paused);
        daemon.Attach(40, 102, "cache-01", VmState.Stopped);
        var before = NowNs();

        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (welcome, replay, sync) = await client.ReadHandshakeAsync();

        Assert.Equal((byte)EventDirection.Up, welcome.Header.Direction);
        Assert.Equal(VmsigWire.ProtocolVersion, ReadU32(welcome.Payload, VmsigWire.HelloVersionOffset));
        Assert.Equal(Capabilities.Roster, WelcomeCaps(welcome));
        Assert.Equal(0xfeedface12345678UL, WelcomeSessionId(welcome));

        Assert.Equal([3, 7, 40], replay.Select(f => (int)f.Header.Endpoint));
        Assert.All(replay, f =>
        {
            Assert.Equal(EventType.Roster, f.Type);
            Assert.True(f.Header.IsReplay);
            Assert.Equal(RosterAction.Attach, f.Action);
            Assert.Equal((byte)EventSource.Core, f.Header.Source);
        });
        Assert.Equal([100u, 101u, 102u], replay.Select(f => f.Datum.Vmid));
        Assert.Equal([VmState.Running, VmState.Paused, VmState.Stopped], replay.Select(f => f.Datum.State));
        Assert.Equal("db-primary", replay[1].DecodedName);
        Assert.Equal(EventType.Sync, sync.Type);
        Assert.Equal(VmsigWire.NoEndpoint, sync.Header.Endpoint);
        Assert.Equal(1, daemon.ConnectedSubscribers);

        var seqs = new List<ulong> { daemon.Attach(9, 103, "api-01", VmState.Starting) };
        seqs.Add(daemon.Update(9, VmState.Running));
        seqs.Add(daemon.EmitMemCtx(9));
        seqs.Add(daemon.Detach(3));
        var live = new List<SimFrame>();
        for (var i = 0; i < 4; i++)
        {
            live.Add(await client.ReadFrameAsync());
        }

        var after = NowNs();
        Assert.Equal(seqs, live.Select(f => f.Header.Seq));
        Assert.Equal(
            [EventType.Roster, EventType.Roster, EventType.MemCtx, EventType.Roster],
            live.Select(f => f.Type));
        Assert.Equal([RosterAction.Attach, RosterAction.Update], live.Take(2).Select(f => f.Action));
        Assert.Equal(RosterAction.Detach, live[3].Action);
        Assert.Equal(100u, live[3].Datum.Vmid);
        Assert.Equal(VmState.Running, live[1].Datum.State);
        Assert.All(live, f => Assert.False(f.Header.IsReplay));
        Assert.All(live, f => Assert.InRange(f.Header.TimestampNs, before, after));

        var all = new[] { welcome }.Concat(replay).Append(sync).Concat(live).Select(f => f.Header.Seq).ToList();
        Assert.Equal(all.Order(), all);
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public async Task Tcp_port_zero_binds_an_ephemeral_port_and_exposes_it()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = AnyTcpPort });
        daemon.Attach(0, 100, "web-01", VmState.Running);

        Assert.False(daemon.Endpoint.IsUnix);
        Assert.NotEqual(0, daemon.Endpoint.Port);
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (welcome, replay, _) = await client.ReadHandshakeAsync();
        Assert.Equal(daemon.SessionId, WelcomeSessionId(welcome));
        Assert.NotEqual(0UL, daemon.SessionId);
        var only = Assert.Single(replay);
        Assert.Equal(100u, only.Datum.Vmid);
    }

    [Fact]
    public async Task A_second_subscriber_gets_its_own_replay_reflecting_live_changes()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        daemon.Attach(1, 100, "web-01", VmState.Running);
        daemon.Attach(2, 101, "web-02", VmState.Running);
        using var first = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        Assert.Equal(2, (await first.ReadHandshakeAsync()).Replay.Count);

        daemon.Detach(1);
        daemon.Update(2, VmState.Paused, "web-02-renamed");
        daemon.Attach(60, 102, "db-01", VmState.Starting);

        using var second = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (_, replay, sync) = await second.ReadHandshakeAsync();
        Assert.Equal([2, 60], replay.Select(f => (int)f.Header.Endpoint));
        Assert.Equal(VmState.Paused, replay[0].Datum.State);
        Assert.Equal("web-02-renamed", replay[0].DecodedName);
        Assert.Equal(102u, replay[1].Datum.Vmid);
        Assert.All(replay, f => Assert.True(f.Header.IsReplay));
        Assert.Equal(2, daemon.ConnectedSubscribers);

        // The first one saw the three changes live; then both see the next one.
        var firstLive = new[] { await first.ReadFrameAsync(), await first.ReadFrameAsync(), await first.ReadFrameAsync() };
        Assert.Equal([RosterAction.Detach, RosterAction.Update, RosterAction.Attach], firstLive.Select(f => f.Action));
        Assert.All(firstLive, f => Assert.True(f.Header.Seq < sync.Header.Seq));

        var seq = daemon.Update(60, VmState.Running);
        var a = await first.ReadFrameAsync();
        var b = await second.ReadFrameAsync();
        Assert.Equal(seq, a.Header.Seq);
        Assert.Equal(seq, b.Header.Seq);
        Assert.True(b.Header.Seq > sync.Header.Seq);
    }

    [Fact]
    public async Task RefuseRoster_answers_hello_with_error_1_and_closes()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory), RefuseRoster = true });
        daemon.Attach(5, 100, "web-01", VmState.Running);
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);

        var error = await client.ReadFrameAsync();
        Assert.Equal(EventType.Error, error.Type);
        Assert.Equal((uint)DaemonErrorCode.CapabilityRefused, ReadU32(error.Payload, VmsigWire.ErrorCodeOffset));
        Assert.Null(await client.ReadAsync());
        Assert.Equal(0, daemon.ConnectedSubscribers);

        // Switched off at run time: the next subscriber is served.
        daemon.RefuseRoster = false;
        using var next = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        Assert.Single((await next.ReadHandshakeAsync()).Replay);
    }

    public static TheoryData<string, uint> BadHellos => new()
    {
        { "version 2", (uint)DaemonErrorCode.VersionUnsupported },
        { "no CAP_ROSTER", (uint)DaemonErrorCode.CapabilityRefused },
        { "type SYNC", (uint)DaemonErrorCode.MalformedRequest },
        { "direction UP", (uint)DaemonErrorCode.MalformedRequest },
        { "header only", (uint)DaemonErrorCode.MalformedRequest },
        { "length 5000", (uint)DaemonErrorCode.MalformedRequest },
    };

    [Theory]
    [MemberData(nameof(BadHellos))]
    public async Task A_bad_hello_gets_the_matching_error_code_then_close(string problem, uint code)
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        var hello = new byte[EventWriter.WireSize];
        EventWriter.WriteHello(hello, problem == "no CAP_ROSTER" ? Capabilities.MemCtx : Capabilities.Roster);
        var body = hello.AsSpan(VmsigWire.LengthPrefixSize);
        var payload = body[VmsigWire.EventHeaderSize..];
        switch (problem)
        {
            case "version 2":
                BinaryPrimitives.WriteUInt32LittleEndian(payload[VmsigWire.HelloVersionOffset..], 2);
                break;
            case "type SYNC":
                BinaryPrimitives.WriteUInt16LittleEndian(body[VmsigWire.TypeOffset..], (ushort)EventType.Sync);
                break;
            case "direction UP":
                body[VmsigWire.DirectionOffset] = (byte)EventDirection.Up;
                break;
            case "header only":
                BinaryPrimitives.WriteUInt32LittleEndian(hello, VmsigWire.EventHeaderSize);
                hello = hello[..(VmsigWire.LengthPrefixSize + VmsigWire.EventHeaderSize)];
                break;
            case "length 5000":
                BinaryPrimitives.WriteUInt32LittleEndian(hello, 5000);
                break;
        }

        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint, hello: false);
        await client.SendAsync(hello);

        var error = await client.ReadFrameAsync();
        Assert.Equal(EventType.Error, error.Type);
        Assert.Equal(code, ReadU32(error.Payload, VmsigWire.ErrorCodeOffset));
        Assert.Equal(0, error.Payload[^1]); // the message is NUL-terminated
        Assert.Null(await client.ReadAsync());
        Assert.Equal(0, daemon.ConnectedSubscribers);
    }

    [Fact]
    public async Task RestartAsync_drops_connections_changes_session_and_restarts_seq_keeping_the_roster()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory), SessionId = 0x1111 });
        daemon.Attach(4, 100, "web-01", VmState.Running);
        daemon.Attach(8, 101, "web-02", VmState.Running);
        using var before = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (welcome1, _, sync1) = await before.ReadHandshakeAsync();
        Assert.Equal(0x1111UL, WelcomeSessionId(welcome1));
        Assert.True(sync1.Header.Seq > 3);

        await daemon.RestartAsync(0x2222);

        Assert.Null(await before.ReadAsync());
        Assert.Equal(0, daemon.ConnectedSubscribers);
        Assert.Equal(0x2222UL, daemon.SessionId);
        using var after = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (welcome2, replay, sync2) = await after.ReadHandshakeAsync();
        Assert.Equal(0x2222UL, WelcomeSessionId(welcome2));
        Assert.Equal(1UL, welcome2.Header.Seq);
        Assert.Equal([2UL, 3UL], replay.Select(f => f.Header.Seq));
        Assert.Equal(4UL, sync2.Header.Seq);
        Assert.Equal([4, 8], replay.Select(f => (int)f.Header.Endpoint));
        Assert.Equal(5UL, daemon.Update(4, VmState.Paused));
        Assert.Equal(5UL, (await after.ReadFrameAsync()).Header.Seq);
    }

    [Fact]
    public async Task RestartAsync_without_an_id_picks_a_new_random_one_and_can_replace_the_roster()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = AnyTcpPort });
        daemon.Attach(4, 100, "web-01", VmState.Running);
        var old = daemon.SessionId;
        var roster = new RosterSlot?[VmsigWire.EndpointCount];
        roster[10] = new RosterSlot(500, "restored-01", VmState.Starting);
        roster[63] = new RosterSlot(501, "restored-02", VmState.Stopped);

        await daemon.RestartAsync(roster: roster);

        Assert.NotEqual(old, daemon.SessionId);
        Assert.Equal(roster, daemon.Snapshot());
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (welcome, replay, _) = await client.ReadHandshakeAsync();
        Assert.Equal(daemon.SessionId, WelcomeSessionId(welcome));
        Assert.Equal([10, 63], replay.Select(f => (int)f.Header.Endpoint));
        Assert.Equal([500u, 501u], replay.Select(f => f.Datum.Vmid));
    }

    [Theory]
    [InlineData("analytics-warehouse-etl-worker-0042")]     // ASCII, 35 bytes
    [InlineData("本番データベースサーバー-01")]               // 39 bytes; byte 31 falls inside a character
    [InlineData("сервер-базы-данных-01")]                    // 37 bytes; cut inside a 2-byte letter
    public async Task Names_longer_than_31_bytes_are_cut_and_flagged_NAME_TRUNC(string name)
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        daemon.Attach(0, 100, name, VmState.Running);
        daemon.Attach(1, 101, "short-name", VmState.Running);
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (_, replay, _) = await client.ReadHandshakeAsync();

        var utf8 = System.Text.Encoding.UTF8.GetBytes(name);
        var cut = replay[0].Datum;
        Assert.True(cut.NameTruncated);
        Assert.Equal(utf8[..31], ((ReadOnlySpan<byte>)cut.Name)[..31].ToArray());
        Assert.Equal(0, cut.Name[31]);
        var published = RosterName.Decode(cut.Name, truncated: true);
        Assert.StartsWith(published, name, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', published);
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(published), 29, 31);
        var slot = daemon.Snapshot()[0]!;
        Assert.True(slot.NameTruncated);
        Assert.Equal(name, slot.Name);
        Assert.Equal(published, slot.WireName);
        Assert.False(replay[1].Datum.NameTruncated);

        // A rename to a short name clears the flag; a rename to the long name sets it again.
        daemon.Update(0, VmState.Running, "short-again");
        daemon.Update(1, VmState.Paused, name);
        var shortened = await client.ReadFrameAsync();
        var lengthened = await client.ReadFrameAsync();
        Assert.False(shortened.Datum.NameTruncated);
        Assert.Equal("short-again", shortened.DecodedName);
        Assert.True(lengthened.Datum.NameTruncated);
        Assert.Equal(published, lengthened.DecodedName);
    }

    [Fact]
    public async Task A_subscriber_that_disconnects_is_removed_without_affecting_the_others()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        using var staying = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await staying.ReadHandshakeAsync();
        var leaving = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await leaving.ReadHandshakeAsync();
        await WaitUntilAsync(() => daemon.ConnectedSubscribers == 2, "both subscribers are registered");

        leaving.Dispose();
        await WaitUntilAsync(() => daemon.ConnectedSubscribers == 1, "the closed subscriber is removed");

        var seqs = Enumerable.Range(0, 10).Select(i => daemon.Attach(i, (uint)(100 + i), $"vm-{i}", VmState.Running)).ToList();
        for (var i = 0; i < seqs.Count; i++)
        {
            Assert.Equal(seqs[i], (await staying.ReadFrameAsync()).Header.Seq);
        }

        Assert.Equal(1, daemon.ConnectedSubscribers);
    }

    [Fact]
    public async Task A_stuck_subscriber_blocks_emitters_only_until_dropped_and_a_reading_one_gets_everything()
    {
        var opts = new SimulatorOpts
        {
            Listen = UnixEndpoint(_directory),
            MaxBufferedBytes = 8 * 1024,
            SlowSubscriberTimeout = TimeSpan.FromSeconds(2), // generous: test threads may starve the pool
        };
        await using var daemon = await StartAsync(opts);
        using var stuck = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await stuck.ReadHandshakeAsync(); // then never reads again
        using var reader = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await reader.ReadHandshakeAsync();
        await WaitUntilAsync(() => daemon.ConnectedSubscribers == 2, "both subscribers are registered");

        const int count = 200_000; // 15 MB: far beyond the stuck one's socket buffers and its 8 KiB
        var reading = Task.Run(async () =>
        {
            var seqs = new List<ulong>(count);
            for (var i = 0; i < count; i++)
            {
                seqs.Add((await reader.ReadFrameAsync()).Header.Seq);
            }

            return seqs;
        });
        var emitted = await Task.Run(() =>
        {
            var seqs = new List<ulong>(count);
            for (var i = 0; i < count; i++)
            {
                seqs.Add(daemon.EmitMemCtx(i % VmsigWire.EndpointCount));
            }

            return seqs;
        });

        Assert.Equal(emitted, await reading);
        Assert.Equal(1, daemon.ConnectedSubscribers);

        // The stuck one was closed: past what its buffers held (at most 8 KiB and a frame outstanding
        // when it was dropped, the rest in socket buffers), the stream ends, perhaps inside a frame.
        var frames = 0;
        try
        {
            while (await stuck.ReadAsync() is not null)
            {
                frames++;
            }
        }
        catch (EndOfStreamException)
        {
        }

        Assert.InRange(frames, 1, count / 4);
    }

    // RestartAsync relies on this: the emitter holds the daemon's lock while it waits.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_emitter_waiting_on_a_stuck_subscriber_is_released_at_once_when_it_goes(bool disconnectAll)
    {
        var opts = new SimulatorOpts
        {
            Listen = UnixEndpoint(_directory),
            MaxBufferedBytes = 8 * 1024,
            SlowSubscriberTimeout = TimeSpan.FromSeconds(60), // the release must come long before it
        };
        await using var daemon = await StartAsync(opts);
        using var stuck = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await stuck.ReadHandshakeAsync(); // then never reads again
        await WaitUntilAsync(() => daemon.ConnectedSubscribers == 1, "the subscriber is registered");

        const int count = 200_000; // 15 MB: the emitter blocks long before the end
        long emitted = 0;
        var emitting = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                daemon.EmitMemCtx(i % VmsigWire.EndpointCount);
                Interlocked.Increment(ref emitted);
            }
        });
        long seen = 0;
        var since = Stopwatch.GetTimestamp();
        await WaitUntilAsync(
            () =>
            {
                var now = Interlocked.Read(ref emitted);
                if (now != seen)
                {
                    (seen, since) = (now, Stopwatch.GetTimestamp());
                }

                return now > 0 && Stopwatch.GetElapsedTime(since) > TimeSpan.FromMilliseconds(300);
            },
            "the emitter waits on the stuck subscriber");
        Assert.False(emitting.IsCompleted);
        Assert.InRange(Interlocked.Read(ref emitted), 1, count / 4); // buffers are bounded

        if (disconnectAll)
        {
            daemon.DisconnectAll();
        }
        else
        {
            stuck.Dispose();
        }

        await emitting.WaitAsync(TimeSpan.FromSeconds(15));
        await WaitUntilAsync(() => daemon.ConnectedSubscribers == 0, "the subscriber is forgotten");
    }

    [Fact]
    public async Task Raw_bytes_and_memctx_reach_every_subscriber_in_order_with_events()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await client.ReadHandshakeAsync();

        var memctx = daemon.EmitMemCtx(12);
        var raw = new byte[EventWriter.WireSize];
        var header = new EventHeader((ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Core, 200, 0, 999_999, 1);
        EventWriter.WriteEvent(raw, header)[0] = 0x42;
        daemon.EmitRaw(raw);
        var attach = daemon.Attach(12, 100, "web-01", VmState.Running);

        var first = await client.ReadFrameAsync();
        Assert.Equal(EventType.MemCtx, first.Type);
        Assert.Equal(memctx, first.Header.Seq);
        Assert.Equal(12, first.Header.Endpoint);
        var second = await client.ReadFrameAsync();
        Assert.Equal(header, second.Header);
        Assert.Equal(0x42, second.Payload[0]);
        Assert.Equal(attach, (await client.ReadFrameAsync()).Header.Seq);

        // Bytes that are no frame at all go out verbatim too.
        daemon.EmitRaw([0xFF, 0xFF, 0xFF, 0xFF]);
        await Assert.ThrowsAsync<InvalidDataException>(() => client.ReadAsync());
    }

    [Fact]
    public async Task DisconnectAll_drops_everyone_and_a_reconnect_gets_a_fresh_replay_in_the_same_session()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = AnyTcpPort });
        daemon.Attach(30, 100, "web-01", VmState.Running);
        using var a = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        using var b = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (welcome, _, sync) = await a.ReadHandshakeAsync();
        await b.ReadHandshakeAsync();

        daemon.DisconnectAll();

        Assert.Null(await a.ReadAsync());
        Assert.Null(await b.ReadAsync());
        await WaitUntilAsync(() => daemon.ConnectedSubscribers == 0, "the dropped subscribers are forgotten");
        daemon.Update(30, VmState.Migrating);
        using var again = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var (welcome2, replay, _) = await again.ReadHandshakeAsync();
        Assert.Equal(WelcomeSessionId(welcome), WelcomeSessionId(welcome2));
        Assert.True(welcome2.Header.Seq > sync.Header.Seq);
        Assert.Equal(VmState.Migrating, Assert.Single(replay).Datum.State);
    }

    [Fact]
    public async Task Subscribers_joining_during_churn_miss_nothing_and_see_nothing_twice()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        var generator = new LifecycleGenerator(seed: 42);
        using var stop = new CancellationTokenSource();
        long applied = 0;
        var churning = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.NotEqual(0UL, daemon.TryApply(generator.NextChurn()));
                Interlocked.Increment(ref applied);
            }
        });

        // Each subscriber joins at some point of the churn and applies everything it reads to a strict model.
        var subscribers = new List<(RawSubscriber Client, RosterModel Model, Task<ulong> Reading)>();
        var marker = new TaskCompletionSource<ulong>();
        for (var i = 0; i < 5; i++)
        {
            var due = (i + 1) * 10_000L;
            await WaitUntilAsync(() => churning.IsCompleted || Interlocked.Read(ref applied) >= due, "the churn goes on");
            var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
            var model = new RosterModel();
            var reading = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var frame = await client.ReadFrameAsync();
                        model.Apply(frame);
                        if (marker.Task.IsCompleted && frame.Header.Seq >= marker.Task.Result)
                        {
                            return frame.Header.Seq;
                        }
                    }
                }
                catch
                {
                    client.Dispose(); // a failed reader stops reading: do not let it hold the churn back
                    throw;
                }
            });
            subscribers.Add((client, model, reading));
            await WaitUntilAsync(
                () => daemon.ConnectedSubscribers == i + 1 || subscribers.Exists(s => s.Reading.IsCompleted),
                "the subscriber is registered");
        }

        await stop.CancelAsync();
        await churning;
        var end = daemon.EmitMemCtx(0);
        marker.SetResult(end);
        daemon.EmitMemCtx(1); // wakes a reader that already passed the marker check
        foreach (var (client, model, reading) in subscribers)
        {
            Assert.True(await reading >= end);
            model.AssertEquals(daemon.Snapshot());
            Assert.True(model.Applied > 0);
            client.Dispose();
        }

        Assert.True(Interlocked.Read(ref applied) >= 50_000);
    }

    [Fact]
    public async Task A_burst_of_200k_churn_events_leaves_the_subscriber_with_the_daemons_roster()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        var generator = new LifecycleGenerator(seed: 7);
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        var model = new RosterModel();
        var (welcome, replay, sync) = await client.ReadHandshakeAsync();
        model.Apply(welcome);
        replay.ForEach(model.Apply);
        model.Apply(sync);

        const int count = 200_000;
        var reading = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                model.Apply(await client.ReadFrameAsync());
            }
        });
        await Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                Assert.NotEqual(0UL, daemon.TryApply(generator.NextChurn()));
            }
        });
        await reading;

        Assert.Equal(count, model.Applied);
        model.AssertEquals(daemon.Snapshot());
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced_but_a_live_daemon_is_not()
    {
        var endpoint = UnixEndpoint(_directory);
        var aside = endpoint.Address + ".aside";
        using (var stale = endpoint.CreateSocket())
        {
            stale.Bind(endpoint.ToEndPoint());
            File.Move(endpoint.Address, aside); // .NET unlinks what it bound when disposed: keep a copy out of its way
        }

        File.Move(aside, endpoint.Address); // a socket file that nobody listens on, as a crash leaves it

        Assert.True(File.Exists(endpoint.Address));
        await using (var daemon = await StartAsync(new SimulatorOpts { Listen = endpoint }))
        {
            using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
            await client.ReadHandshakeAsync();

            await using var second = new SimulatedDaemon(new SimulatorOpts { Listen = endpoint });
            await Assert.ThrowsAsync<IOException>(() => second.StartAsync());
        }

        Assert.False(File.Exists(endpoint.Address));
    }

    [Fact]
    public async Task Attach_to_an_occupied_slot_replaces_its_vm_as_the_daemon_does()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = AnyTcpPort });
        daemon.Attach(0, 100, "web-01", VmState.Running);
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await client.ReadHandshakeAsync();

        var seq = daemon.Attach(0, 101, "other", VmState.Starting);
        var frame = await client.ReadFrameAsync();

        Assert.Equal(seq, frame.Header.Seq);
        Assert.Equal((uint)RosterAction.Attach, frame.Datum.Action);
        Assert.Equal(101u, frame.Datum.Vmid);
        Assert.Equal(new RosterSlot(101, "other", VmState.Starting), daemon.Snapshot()[0]);
    }

    [Fact]
    public async Task Api_misuse_is_refused_without_emitting()
    {
        await using var daemon = await StartAsync(new SimulatorOpts { Listen = AnyTcpPort });
        daemon.Attach(0, 100, "web-01", VmState.Running);
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await client.ReadHandshakeAsync();

        Assert.Throws<InvalidOperationException>(() => daemon.Update(1, VmState.Running));
        Assert.Throws<InvalidOperationException>(() => daemon.Detach(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => daemon.Attach(64, 101, "x", VmState.Running));
        Assert.Throws<ArgumentOutOfRangeException>(() => daemon.EmitMemCtx(-1));
        Assert.Equal(0UL, daemon.TryApply(new SimChange(SimChangeKind.Update, 0, 999, VmState.Paused, null))); // another vmid
        Assert.Equal(0UL, daemon.TryApply(new SimChange(SimChangeKind.Detach, 5, 100, 0, null)));
        Assert.Equal(0UL, daemon.TryApply(new SimChange(SimChangeKind.Attach, 0, 101, VmState.Running, "x")));

        var next = daemon.Update(0, VmState.Paused);
        var frame = await client.ReadFrameAsync();
        Assert.Equal(next, frame.Header.Seq); // nothing was emitted by the refused calls
        Assert.Equal(VmState.Paused, frame.Datum.State);
    }

    [Fact]
    public void An_output_bound_too_small_for_a_handshake_is_refused_up_front()
    {
        // The handshake is queued before the socket writer starts: a smaller bound would stall every HELLO.
        Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedDaemon(new SimulatorOpts { MaxBufferedBytes = 4096 }));
    }

    [Fact]
    public async Task A_connection_that_never_says_hello_is_closed_after_the_timeout()
    {
        var opts = new SimulatorOpts { Listen = UnixEndpoint(_directory), HelloTimeout = TimeSpan.FromMilliseconds(200) };
        await using var daemon = await StartAsync(opts);
        using var silent = await RawSubscriber.ConnectAsync(daemon.Endpoint, hello: false);

        Assert.Null(await silent.ReadAsync());
        Assert.Equal(0, daemon.ConnectedSubscribers);
    }

    [Fact]
    public async Task Dispose_closes_subscribers()
    {
        var daemon = await StartAsync(new SimulatorOpts { Listen = UnixEndpoint(_directory) });
        using var client = await RawSubscriber.ConnectAsync(daemon.Endpoint);
        await client.ReadHandshakeAsync();

        await daemon.DisposeAsync();

        Assert.Null(await client.ReadAsync());
        using var late = daemon.Endpoint.CreateSocket();
        await Assert.ThrowsAsync<SocketException>(async () => await late.ConnectAsync(daemon.Endpoint.ToEndPoint()));
    }
}
