using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Simulate;

/// <summary>
/// An in-process emulation of the vmsig daemon's event stream, for the demo, tests and benchmarks.
/// It holds the authoritative roster (64 slots), the session id and the seq counter; every change
/// and every subscriber's replay is made under one lock, so each subscriber sees its replay, SYNC,
/// then every later live event exactly once, in strictly increasing seq.
/// </summary>
/// <remarks>
/// Events are encoded once and copied into each subscriber's bounded output (a pipe); a loop per
/// subscriber sends whatever has piled up. When a subscriber is <see cref="SimulatorOpts.MaxBufferedBytes"/>
/// behind, the call that emits (Attach, Update, ...) waits, which slows the generator down to the
/// slowest reader; a reader that stays stuck for <see cref="SimulatorOpts.SlowSubscriberTimeout"/> is dropped.
/// MEMCTX events go to every subscriber whatever it asked for, as noise that a bridge must skip.
/// </remarks>
internal sealed class SimulatedDaemon : IAsyncDisposable
{
    /// <summary>WELCOME, a replay of all 64 slots and SYNC.</summary>
    private const int MaxHandshakeBytes = (VmsigWire.EndpointCount + 2) * EventWriter.WireSize;

    private readonly SimulatorOpts _opts;
    private readonly Action<string>? _log;
    private readonly Lock _gate = new();
    private readonly RosterDatum[] _datums = new RosterDatum[VmsigWire.EndpointCount];
    private readonly string?[] _names = new string?[VmsigWire.EndpointCount];
    private readonly List<SubscriberConnection> _subscribers = [];
    private readonly ConcurrentDictionary<SubscriberConnection, byte> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _subscribersChanged = NewSignal();
    private ulong _nextSeq = 1;
    private ulong _sessionId;
    private int _subscriberCount;
    private int _nextConnectionId;
    private volatile bool _refuseRoster;
    private Socket? _listener;
    private Task? _acceptLoop;
    private string? _boundSocketPath;
    private bool _disposed;

    public SimulatedDaemon(SimulatorOpts opts, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(opts);

        // A subscriber's handshake is written before its socket writer starts, so it must fit unpaused.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(opts.MaxBufferedBytes, MaxHandshakeBytes);
        _opts = opts;
        _log = log;
        _refuseRoster = opts.RefuseRoster;
        _sessionId = opts.SessionId ?? NewSessionId(0);
        Endpoint = opts.Listen;
    }

    /// <summary>Where the daemon listens; after <see cref="StartAsync"/>, with the port actually bound.</summary>
    public DaemonEndpoint Endpoint { get; private set; }

    public ulong SessionId
    {
        get
        {
            lock (_gate)
            {
                return _sessionId;
            }
        }
    }

    /// <summary>Answer every HELLO with ERROR code 1 and close. May be changed at any time.</summary>
    public bool RefuseRoster
    {
        get => _refuseRoster;
        set => _refuseRoster = value;
    }

    /// <summary>Subscribers past their HELLO whose replay and SYNC are queued, and that get live events.</summary>
    public int ConnectedSubscribers => Volatile.Read(ref _subscriberCount);

    /// <summary>Binds and starts accepting. For unix sockets a stale socket file is removed first.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("the simulated daemon is already started");
        }

        var listen = _opts.Listen;
        Socket listener;
        if (listen.IsUnix)
        {
            await RemoveStaleSocketAsync(listen, cancellationToken);
            listener = listen.CreateSocket();
            try
            {
                listener.Bind(listen.ToEndPoint());
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            _boundSocketPath = listen.Address;
            Endpoint = listen;
        }
        else
        {
            var address = IPAddress.TryParse(listen.Address.Trim('[', ']'), out var ip)
                ? ip
                : (await Dns.GetHostAddressesAsync(listen.Address, cancellationToken))[0];
            listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Bind(new IPEndPoint(address, listen.Port));
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            Endpoint = listen with { Port = ((IPEndPoint)listener.LocalEndPoint!).Port };
        }

        listener.Listen(128);
        _listener = listener;
        _acceptLoop = AcceptLoopAsync(listener);
    }

    /// <summary>
    /// Attaches a VM to the slot and emits ROSTER ATTACH; as the daemon does, an ATTACH replaces
    /// whatever the slot held. Returns the event's seq.
    /// </summary>
    public ulong Attach(int endpoint, uint vmid, string name, uint state)
    {
        CheckEndpoint(endpoint);
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            return AttachLocked(endpoint, vmid, name, state);
        }
    }

    /// <summary>Changes the state (and optionally the name) of an occupied slot and emits ROSTER UPDATE.</summary>
    public ulong Update(int endpoint, uint state, string? newName = null)
    {
        CheckEndpoint(endpoint);
        lock (_gate)
        {
            if (_names[endpoint] is null)
            {
                throw new InvalidOperationException($"endpoint {endpoint} is vacant");
            }

            return UpdateLocked(endpoint, state, newName);
        }
    }

    /// <summary>Emits ROSTER DETACH (with the VM's last datum) and vacates the slot.</summary>
    public ulong Detach(int endpoint)
    {
        CheckEndpoint(endpoint);
        lock (_gate)
        {
            if (_names[endpoint] is null)
            {
                throw new InvalidOperationException($"endpoint {endpoint} is vacant");
            }

            return DetachLocked(endpoint);
        }
    }

    /// <summary>Emits a MEMCTX event (type 16) about the endpoint; it changes nothing in the roster.</summary>
    public ulong EmitMemCtx(int endpoint)
    {
        CheckEndpoint(endpoint);
        lock (_gate)
        {
            return EmitMemCtxLocked(endpoint);
        }
    }

    /// <summary>Sends these bytes, verbatim, to every live subscriber, in order with the events around them.</summary>
    public void EmitRaw(ReadOnlySpan<byte> wireBytes)
    {
        lock (_gate)
        {
            BroadcastLocked(wireBytes);
        }
    }

    /// <summary>
    /// Applies a generator's proposal when it fits the roster (ATTACH to a vacant slot; UPDATE or
    /// DETACH of that very vmid). Returns the event's seq, or 0 when it does not fit.
    /// </summary>
    public ulong TryApply(in SimChange change)
    {
        if ((uint)change.Endpoint >= VmsigWire.EndpointCount)
        {
            return 0;
        }

        var endpoint = change.Endpoint;
        lock (_gate)
        {
            var occupied = _names[endpoint] is not null;
            var same = occupied && _datums[endpoint].Vmid == change.Vmid;
            return change.Kind switch
            {
                SimChangeKind.Attach when !occupied && change.Name is not null =>
                    AttachLocked(endpoint, change.Vmid, change.Name, change.State),
                SimChangeKind.Update when same => UpdateLocked(endpoint, change.State, change.Name),
                SimChangeKind.Detach when same => DetachLocked(endpoint),
                SimChangeKind.MemCtx => EmitMemCtxLocked(endpoint),
                _ => 0,
            };
        }
    }

    /// <summary>The roster now: 64 entries, null for a vacant slot.</summary>
    public RosterSlot?[] Snapshot()
    {
        var slots = new RosterSlot?[VmsigWire.EndpointCount];
        lock (_gate)
        {
            for (var i = 0; i < slots.Length; i++)
            {
                if (_names[i] is { } name)
                {
                    slots[i] = new RosterSlot(_datums[i].Vmid, name, _datums[i].State);
                }
            }
        }

        return slots;
    }

    /// <summary>
    /// Emulates a daemon restart: every connection is dropped, the session id changes, seq starts
    /// again at 1. The roster is kept, or replaced by <paramref name="roster"/> (indexed by endpoint).
    /// </summary>
    public async Task RestartAsync(ulong? newSessionId = null, IReadOnlyList<RosterSlot?>? roster = null)
    {
        if (roster is not null && roster.Count > VmsigWire.EndpointCount)
        {
            throw new ArgumentException($"a roster has at most {VmsigWire.EndpointCount} slots", nameof(roster));
        }

        DisconnectAll(); // first, so that no emitter holds the lock waiting on a full subscriber
        List<Task> ending;
        lock (_gate)
        {
            _sessionId = newSessionId ?? NewSessionId(_sessionId);
            _nextSeq = 1;
            if (roster is not null)
            {
                Array.Clear(_datums);
                Array.Clear(_names);
                for (var i = 0; i < roster.Count; i++)
                {
                    if (roster[i] is { } slot)
                    {
                        SetSlotLocked(i, slot.Vmid, slot.Name, slot.State);
                    }
                }
            }

            ending = DisconnectAll();
        }

        _log?.Invoke($"restarted: session {_sessionId:x16}");
        await Task.WhenAll(ending);
    }

    /// <summary>Drops every connection (subscribers reconnect for a fresh replay). Returns their serving tasks.</summary>
    public List<Task> DisconnectAll()
    {
        var tasks = new List<Task>();
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
            if (connection.Serving is { } serving)
            {
                tasks.Add(serving);
            }
        }

        return tasks;
    }

    /// <summary>Completes once at least <paramref name="count"/> subscribers are connected and synced.</summary>
    public async Task WaitForSubscribersAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_subscriberCount >= count)
                {
                    return;
                }

                changed = _subscribersChanged.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stopping.CancelAsync();
        _listener?.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        await Task.WhenAll(DisconnectAll());
        if (_boundSocketPath is not null)
        {
            TryDelete(_boundSocketPath);
        }

        _stopping.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void CheckEndpoint(int endpoint) =>
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)endpoint, (uint)VmsigWire.EndpointCount, nameof(endpoint));

    private static ulong NewSessionId(ulong other)
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        ulong id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }
        while (id == 0 || id == other);

        return id;
    }

    private static ulong NowNs() => (ulong)(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private static async Task RemoveStaleSocketAsync(DaemonEndpoint listen, CancellationToken cancellationToken)
    {
        var path = listen.Address;
        if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        if (!File.Exists(path))
        {
            return;
        }

        using (var probe = listen.CreateSocket())
        {
            try
            {
                await probe.ConnectAsync(listen.ToEndPoint(), cancellationToken);
                throw new IOException($"{path}: another daemon is listening there");
            }
            catch (SocketException)
            {
                // Nobody listens: a stale socket file left by a crash.
            }
        }

        File.Delete(path);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void SetSlotLocked(int endpoint, uint vmid, string name, uint state)
    {
        ref var datum = ref _datums[endpoint];
        datum = default;
        datum.Vmid = vmid;
        datum.State = state;
        datum.SetName(name);
        _names[endpoint] = name;
    }

    private ulong AttachLocked(int endpoint, uint vmid, string name, uint state)
    {
        SetSlotLocked(endpoint, vmid, name, state);
        return EmitRosterLocked(endpoint, RosterAction.Attach, flags: 0);
    }

    private ulong UpdateLocked(int endpoint, uint state, string? newName)
    {
        ref var datum = ref _datums[endpoint];
        datum.State = state;
        if (newName is not null)
        {
            datum.SetName(newName);
            _names[endpoint] = newName;
        }

        return EmitRosterLocked(endpoint, RosterAction.Update, flags: 0);
    }

    private ulong DetachLocked(int endpoint)
    {
        var seq = EmitRosterLocked(endpoint, RosterAction.Detach, flags: 0);
        _datums[endpoint] = default;
        _names[endpoint] = null;
        return seq;
    }

    private ulong EmitRosterLocked(int endpoint, RosterAction action, ushort flags)
    {
        Span<byte> frame = stackalloc byte[EventWriter.WireSize];
        var seq = EncodeRosterLocked(frame, endpoint, action, flags);
        BroadcastLocked(frame);
        return seq;
    }

    private ulong EncodeRosterLocked(Span<byte> frame, int endpoint, RosterAction action, ushort flags)
    {
        var seq = _nextSeq++;
        var header = new EventHeader(
            (ushort)EventType.Roster, (byte)EventDirection.Up, (byte)EventSource.Core,
            (ushort)endpoint, flags, seq, NowNs());
        var payload = EventWriter.WriteEvent(frame, header);
        ref var datum = ref _datums[endpoint];
        datum.Action = (uint)action;
        datum.Write(payload);
        return seq;
    }

    private ulong EmitMemCtxLocked(int endpoint)
    {
        Span<byte> frame = stackalloc byte[EventWriter.WireSize];
        var seq = _nextSeq++;
        var header = new EventHeader(
            (ushort)EventType.MemCtx, (byte)EventDirection.Up, (byte)EventSource.Core,
            (ushort)endpoint, Flags: 0, seq, NowNs());
        var payload = EventWriter.WriteEvent(frame, header);

        // Something shaped like a memory context: vmid, a guest-physical base, a size, then a pattern.
        BinaryPrimitives.WriteUInt32LittleEndian(payload, _datums[endpoint].Vmid);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], 0x1_0000_0000UL * (ulong)(endpoint + 1));
        BinaryPrimitives.WriteUInt64LittleEndian(payload[16..], 512UL << 20);
        payload[24..].Fill(0xA5);
        BroadcastLocked(frame);
        return seq;
    }

    private void BroadcastLocked(ReadOnlySpan<byte> bytes)
    {
        for (var i = _subscribers.Count - 1; i >= 0; i--)
        {
            var subscriber = _subscribers[i];
            if (!subscriber.TryWrite(bytes, _opts.SlowSubscriberTimeout))
            {
                if (!subscriber.IsAborted)
                {
                    _log?.Invoke($"subscriber #{subscriber.Id} dropped: not reading for {_opts.SlowSubscriberTimeout.TotalSeconds:F1} s");
                }

                subscriber.Abort();
                RemoveSubscriberLocked(subscriber);
            }
        }
    }

    private void RemoveSubscriberLocked(SubscriberConnection subscriber)
    {
        if (_subscribers.Remove(subscriber))
        {
            Volatile.Write(ref _subscriberCount, _subscribers.Count);
            _subscribersChanged.TrySetResult();
            _subscribersChanged = NewSignal();
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (_stopping.IsCancellationRequested
                && ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _log?.Invoke($"accept failed: {ex.Message}");
                continue;
            }

            if (!Endpoint.IsUnix)
            {
                socket.NoDelay = true;
            }

            var connection = new SubscriberConnection(socket, Interlocked.Increment(ref _nextConnectionId), _opts);
            _connections.TryAdd(connection, 0);
            connection.Serving = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(SubscriberConnection connection)
    {
        try
        {
            var hello = await connection.ReadFirstFrameAsync(_opts.HelloTimeout, _stopping.Token);
            if (hello is null)
            {
                _log?.Invoke($"subscriber #{connection.Id} closed before a whole HELLO");
                return;
            }

            if (!HelloCheck.Validate(hello, out var granted, out var code, out var message))
            {
                await RefuseAsync(connection, code, hello.Length == 0 ? "frame length out of range" : message);
                return;
            }

            int replayed;
            lock (_gate)
            {
                replayed = _refuseRoster || connection.IsAborted ? -1 : RegisterLocked(connection, granted);
            }

            if (replayed < 0)
            {
                if (!connection.IsAborted)
                {
                    await RefuseAsync(connection, DaemonErrorCode.CapabilityRefused, "CAP_ROSTER refused");
                }

                return;
            }

            _log?.Invoke($"subscriber #{connection.Id} synced: {replayed} replayed");
            await connection.PumpAsync();
            _log?.Invoke($"subscriber #{connection.Id} gone");
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The connection ended; the finally below forgets it.
        }
        finally
        {
            lock (_gate)
            {
                RemoveSubscriberLocked(connection);
                connection.CompleteOutput();
            }

            connection.Abort();
            _connections.TryRemove(connection, out _);
        }
    }

    /// <summary>WELCOME, the replay and SYNC into the subscriber's output; then it is live. Returns the replay's size.</summary>
    private int RegisterLocked(SubscriberConnection connection, Capabilities granted)
    {
        // At most MaxHandshakeBytes into an empty output, below its pause threshold: never waits.
        Span<byte> frame = stackalloc byte[EventWriter.WireSize];
        EventWriter.WriteWelcome(frame, _nextSeq++, NowNs(), granted, _sessionId);
        var ok = connection.TryWrite(frame, _opts.SlowSubscriberTimeout);
        var replayed = 0;
        for (var endpoint = 0; endpoint < VmsigWire.EndpointCount; endpoint++)
        {
            if (_names[endpoint] is not null)
            {
                EncodeRosterLocked(frame, endpoint, RosterAction.Attach, VmsigWire.FlagReplay);
                ok &= connection.TryWrite(frame, _opts.SlowSubscriberTimeout);
                replayed++;
            }
        }

        EventWriter.WriteSync(frame, _nextSeq++, NowNs());
        ok &= connection.TryWrite(frame, _opts.SlowSubscriberTimeout);
        if (!ok)
        {
            return -1; // aborted meanwhile
        }

        _subscribers.Add(connection);
        Volatile.Write(ref _subscriberCount, _subscribers.Count);
        _subscribersChanged.TrySetResult();
        _subscribersChanged = NewSignal();
        return replayed;
    }

    private async Task RefuseAsync(SubscriberConnection connection, DaemonErrorCode code, string message)
    {
        var frame = new byte[EventWriter.WireSize];
        lock (_gate)
        {
            EventWriter.WriteError(frame, _nextSeq++, NowNs(), code, message);
        }

        _log?.Invoke($"subscriber #{connection.Id} refused: ERROR {(uint)code} {message}");
        await connection.SendAndCloseAsync(frame);
    }
}
