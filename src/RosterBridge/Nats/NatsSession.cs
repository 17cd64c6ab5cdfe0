using System.Globalization;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Payload;
using RosterBridge.Tls;

namespace RosterBridge.Nats;

/// <summary>
/// One NATS connection, from connect to drop. Every publish says which entry of its subject it
/// replaces (JetStream's expected last subject sequence, from the read-back and the acks since),
/// so the server refuses a publish that would land on an entry this session did not see: an older
/// state can never overwrite a newer one, whatever was abandoned or delayed.
/// </summary>
internal sealed class NatsSession : BrokerSession
{
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(2);

    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly NatsSinkOpts _opts;
    private readonly NatsNodeSubjects _subjects;
    private readonly string _msgIdPrefix;
    private readonly ILogger _log;

    // Never disposed: the connection's event may cancel them at any time, even while the session
    // is being dropped; sources without timers hold nothing to release.
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _statusResponder = new();
    private readonly TlsTrust _trust;
    private string? _denial;
    private int _disposed;

    public NatsSession(NatsConnection connection, NatsSinkOpts opts, NatsNodeSubjects subjects, string msgIdPrefix, ILogger log, TlsTrust trust)
    {
        _trust = trust;
        _connection = connection;
        _js = new NatsJSContext(connection);
        _opts = opts;
        _subjects = subjects;
        _msgIdPrefix = msgIdPrefix;
        _log = log;
        connection.ConnectionDisconnected += OnDisconnectedAsync;
        connection.ServerError += OnServerErrorAsync;
    }

    /// <summary>A permission the server refused this connection (publish or subscribe), as the server said it.</summary>
    public override string? Denial => Volatile.Read(ref _denial);

    public override CancellationToken Lost => _lost.Token;

    public override async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        Held.Clear();
        INatsJSStream stream;
        try
        {
            stream = await NatsRosterReader.GetStreamAsync(_js, _opts.Stream, _subjects.RosterFilter, cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
        {
            // Gone since the connect: the next connect creates it again.
            throw new InvalidOperationException($"stream {_opts.Stream} no longer exists", ex);
        }

        // A stream can be changed under a running bridge: checked again at every read-back.
        NatsSink.Check(stream.Info.Config, _opts.Stream, _subjects.RosterFilter);
        foreach (var entry in await NatsRosterReader.ReadLastAsync(stream, cancellationToken))
        {
            Held.Add(entry.Subject, entry.Subject[(entry.Subject.LastIndexOf('.') + 1)..], entry.IsDelete ? null : entry.Body, entry.Sequence);
        }

        foreach (var stray in Held.Strays)
        {
            _log.LogWarning("nats: deleting {Subject}: in the stream under this node's roster, but no endpoint", stray);
            await PublishAsync(stray, [], expectedSequence: null, $"{_msgIdPrefix}-stray-{stray}", cancellationToken);
        }
    }

    public override async Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken)
    {
        var body = Body(job, _opts.Format, _subjects.Node);
        if (BrokerHolds(job, body))
        {
            return false;
        }

        var expected = Held.Sequence(job.Endpoint);
        var msgId = string.Create(CultureInfo.InvariantCulture, $"{_msgIdPrefix}-{job.Endpoint}-{job.Version}-{job.Session}");
        var sequence = await PublishAsync(_subjects.Roster[job.Endpoint], body, expected, msgId, cancellationToken);
        Held.Replaced(job.Endpoint, sequence);
        return true;
    }

    /// <summary>Says <c>offline</c> and stops answering status requests.</summary>
    public override async Task GoOfflineAsync(CancellationToken cancellationToken)
    {
        await _statusResponder.CancelAsync();
        await _connection.PublishAsync(_subjects.Status, NatsSink.Offline, cancellationToken: cancellationToken);
        await _connection.PingAsync(cancellationToken); // the publish has reached the server
    }

    /// <summary>Answers requests on the status subject with <c>online</c> while this session lives.</summary>
    public void StartStatusResponder() => _ = Task.Run(async () =>
    {
        try
        {
            await foreach (var request in _connection.SubscribeAsync<byte[]>(_subjects.Status, cancellationToken: _statusResponder.Token))
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
            _log.LogDebug("nats: status responder stopped: {Error}", ex.Message);
        }
    });

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _connection.ConnectionDisconnected -= OnDisconnectedAsync;
        _connection.ServerError -= OnServerErrorAsync;
        _lost.Cancel();
        _statusResponder.Cancel();
        try
        {
            // Disposing waits for the socket; a server that hangs (frozen, black-holed) must not hang us.
            await Task.Run(() => _connection.DisposeAsync().AsTask()).WaitAsync(DisposeTimeout);
        }
        catch (TimeoutException)
        {
            _log.LogDebug("nats: the old connection is still closing; going on without it");
        }
        finally
        {
            _trust.Dispose();
        }
    }

    /// <summary>Publishes into the stream and returns the entry's sequence; an empty body is a delete marker.</summary>
    private async Task<ulong> PublishAsync(string subject, byte[] body, ulong? expectedSequence, string msgId, CancellationToken cancellationToken)
    {
        var headers = body.Length == 0
            ? new NatsHeaders { ["KV-Operation"] = "DEL" }
            : new NatsHeaders { ["Content-Type"] = RosterPayload.ContentType(_opts.Format) };
        var opts = new NatsJSPubOpts { MsgId = msgId, ExpectedLastSubjectSequence = expectedSequence };
        var ack = await _js.PublishAsync(subject, body, headers: headers, opts: opts, cancellationToken: cancellationToken);
        if (ack.Error is { ErrCode: JetStreamErrorCodes.WrongLastSequence })
        {
            throw new BrokerChangedException(string.Create(CultureInfo.InvariantCulture,
                $"the stream's last entry on {subject} is not the one read back (sequence {expectedSequence}): another writer for this node, or a publish that landed late"));
        }

        if (ack.Error is { } error)
        {
            throw new NatsJSApiException(error);
        }

        // A duplicate is this very message, stored by an earlier attempt of the client's own.
        return ack.Seq;
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
        _log.LogDebug("nats disconnected: {Message}", args.Message);
        _lost.Cancel();
        return ValueTask.CompletedTask;
    }
}
