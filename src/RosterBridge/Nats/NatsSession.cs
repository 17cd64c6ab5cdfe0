using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Tls;

namespace RosterBridge.Nats;

/// <summary>
/// One NATS connection, from connect to drop, whatever holds the roster (<see cref="NatsStreamSession"/>,
/// <see cref="NatsKvSession"/>): the connection's events, the bridge's status, the read-back of the
/// stream under the roster, and the drop. Every publish of a mode says which entry of its subject it
/// replaces (JetStream's expected last subject sequence, a KV revision), so the server refuses one
/// that would land on an entry this session did not see: an older state can never overwrite a newer
/// one, whatever was abandoned or delayed.
/// </summary>
internal abstract class NatsSession : BrokerSession
{
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(2);

    // Never disposed: the connection's event may cancel them at any time, even while the session
    // is being dropped; sources without timers hold nothing to release.
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _statusResponder = new();
    private readonly TlsTrust _trust;
    private string? _denial;
    private int _disposed;

    protected NatsSession(NatsConnection connection, NatsSinkOpts opts, NatsNodeSubjects subjects, ILogger log, TlsTrust trust)
    {
        _trust = trust;
        Connection = connection;
        Js = new NatsJSContext(connection);
        Opts = opts;
        Subjects = subjects;
        Log = log;
        connection.ConnectionDisconnected += OnDisconnectedAsync;
        connection.ServerError += OnServerErrorAsync;
    }

    /// <summary>A permission the server refused this connection (publish or subscribe), as the server said it.</summary>
    public override string? Denial => Volatile.Read(ref _denial);

    public override CancellationToken Lost => _lost.Token;

    protected NatsConnection Connection { get; }

    protected NatsJSContext Js { get; }

    protected NatsSinkOpts Opts { get; }

    protected NatsNodeSubjects Subjects { get; }

    protected ILogger Log { get; }

    /// <summary>
    /// Creates what holds the roster when it is missing (with <c>Nats:Replicas</c>), or checks the one
    /// there; at every connect. Returns why the one there keeps fewer replicas than asked, or null:
    /// the sink says it once, not at every connect.
    /// </summary>
    /// <exception cref="SinkConfigException">It exists, set up in a way that could lose roster entries.</exception>
    /// <exception cref="IOException">The cluster has too few servers up to place it with the replicas asked: a connect to retry.</exception>
    public abstract Task<string?> PrepareAsync(CancellationToken cancellationToken);

    /// <summary>A create the cluster cannot place now (a server down), as a connect to retry, in words.</summary>
    /// <summary>
    /// The stream <paramref name="name"/>, made by <paramref name="create"/> when there is none; null when
    /// this call made it. Every node's bridge shares it, so another one may make it between the look and
    /// the create: then it is looked up again and checked like any stream found. A create that repeats the
    /// very configuration succeeds, so bridges starting together all get here.
    /// </summary>
    protected async Task<INatsJSStream?> FindOrCreateAsync(string name, string what, Func<CancellationToken, Task> create, CancellationToken cancellationToken)
    {
        try
        {
            return await Js.GetStreamAsync(name, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
        {
        }

        try
        {
            await create(cancellationToken);
            return null;
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNameInUse)
        {
            return await Js.GetStreamAsync(name, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode is JetStreamErrorCodes.NoSuitablePeers or JetStreamErrorCodes.InsufficientResources)
        {
            throw new IOException(
                $"cannot create {what} with {Opts.Replicas} replica(s) ({ex.Error.Description}): fewer servers of the cluster have JetStream up than Nats:Replicas asks; retrying until they do",
                ex);
        }
    }

    /// <summary>Says <c>offline</c> and stops answering status requests.</summary>
    public override async Task GoOfflineAsync(CancellationToken cancellationToken)
    {
        await _statusResponder.CancelAsync();
        await Connection.PublishAsync(Subjects.Status, NatsSink.Offline, cancellationToken: cancellationToken);
        await Connection.PingAsync(cancellationToken); // the publish has reached the server
    }

    /// <summary>Answers requests on the status subject with <c>online</c> while this session lives.</summary>
    public void StartStatusResponder() => _ = Task.Run(async () =>
    {
        try
        {
            await foreach (var request in Connection.SubscribeAsync<byte[]>(Subjects.Status, cancellationToken: _statusResponder.Token))
            {
                if (request.ReplyTo is not null)
                {
                    await request.ReplyAsync(NatsSink.Online, cancellationToken: _statusResponder.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        catch (Exception ex) when (ex is NatsException or ObjectDisposedException)
        {
            Log.LogDebug("nats: status responder stopped: {Error}", ex.Message);
        }
    });

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Connection.ConnectionDisconnected -= OnDisconnectedAsync;
        Connection.ServerError -= OnServerErrorAsync;
        _lost.Cancel();
        _statusResponder.Cancel();
        try
        {
            // Disposing waits for the socket; a server that hangs (frozen, black-holed) must not hang us.
            await Task.Run(() => Connection.DisposeAsync().AsTask()).WaitAsync(DisposeTimeout);
        }
        catch (TimeoutException)
        {
            Log.LogDebug("nats: the old connection is still closing; going on without it");
        }
        finally
        {
            _trust.Dispose();
        }
    }

    /// <summary>
    /// Clears <see cref="Held"/> and reads the last entry of each subject of <paramref name="streamName"/>
    /// under <paramref name="filter"/>, after checking the stream with <paramref name="check"/> (a stream can
    /// be changed under a running bridge: checked again at every read-back).
    /// </summary>
    protected async Task<IReadOnlyList<NatsRosterReader.Entry>> ReadStoredAsync(
        string streamName, string filter, Action<StreamConfig> check, CancellationToken cancellationToken)
    {
        Held.Clear();
        INatsJSStream stream;
        try
        {
            stream = await NatsRosterReader.GetStreamAsync(Js, streamName, filter, cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
        {
            // Gone since the connect: the next connect creates it again.
            throw new InvalidOperationException($"stream {streamName} no longer exists", ex);
        }

        check(stream.Info.Config);
        return await NatsRosterReader.ReadLastAsync(stream, cancellationToken);
    }

    private ValueTask OnServerErrorAsync(object? sender, NatsServerErrorEventArgs args)
    {
        if (NatsConnect.Denial(args.Error) is { } denial)
        {
            // The server drops what it does not allow and says so only here: the publish or
            // request itself just goes unanswered.
            Volatile.Write(ref _denial, denial);
        }

        return ValueTask.CompletedTask;
    }

    private ValueTask OnDisconnectedAsync(object? sender, NatsEventArgs args)
    {
        Log.LogDebug("nats disconnected: {Message}", args.Message);
        _lost.Cancel();
        return ValueTask.CompletedTask;
    }
}
