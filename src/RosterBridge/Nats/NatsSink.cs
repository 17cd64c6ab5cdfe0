using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Payload;

namespace RosterBridge.Nats;

/// <summary>
/// Publishes each endpoint on its own subject into a JetStream stream that keeps the last message
/// per subject; a vacant endpoint is an empty message with <c>KV-Operation: DEL</c>, as a KV bucket
/// writes a delete. NATS.Net reconnects on its own; each of its reconnects is a new session here,
/// since the server may have lost the stream meanwhile. Availability is on a core subject,
/// <c>{prefix}.{node}.bridge.status</c>: <c>online</c> after each connect and <c>offline</c> on a
/// clean stop, and the bridge answers requests on it, so a late asker gets <c>online</c> or, when
/// the bridge is gone, no responders.
/// </summary>
internal sealed class NatsSink : RosterSink
{
    private readonly NatsSinkOpts _opts;
    private readonly string _node;
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(2);

    private static readonly byte[] Online = Encoding.ASCII.GetBytes("online");
    private static readonly byte[] Offline = Encoding.ASCII.GetBytes("offline");

    private readonly string[] _subjects;
    private readonly string _statusSubject;
    private readonly string _instance;
    private readonly ILogger _log;
    private NatsConnection? _connection;
    private NatsJSContext? _js;
    private CancellationTokenSource? _session;
    private CancellationTokenSource? _statusResponder;

    public NatsSink(NatsSinkOpts opts, string node, ILogger log)
    {
        _opts = opts;
        _node = node;
        _log = log;
        _subjects = Enumerable.Range(0, Roster.RosterTable.SlotCount)
            .Select(endpoint => NatsSubjects.Roster(opts.SubjectPrefix, node, endpoint))
            .ToArray();
        _statusSubject = NatsSubjects.Status(opts.SubjectPrefix, node);

        // Message ids must never repeat across bridge runs (outbox versions do), or the stream's
        // duplicate window would drop a real change as a replay of an old one.
        _instance = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()));
    }

    public override string Name => "nats";

    public override string Target => $"nats://{_opts.Url.Host}:{_opts.Url.Port}";

    public override async Task<CancellationToken> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is { ConnectionState: NatsConnectionState.Open } && _session is { IsCancellationRequested: false } current)
        {
            return current.Token;
        }

        _session?.Cancel();
        var session = new CancellationTokenSource();
        _session = session;

        if (_connection is null)
        {
            var connection = new NatsConnection(new NATS.Client.Core.NatsOpts
            {
                Url = $"nats://{_opts.Url.Host}:{_opts.Url.Port}",
                Name = $"rosterbridge-{_node}",
                AuthOpts = _opts.Username is null
                    ? NatsAuthOpts.Default
                    : NatsAuthOpts.Default with { Username = _opts.Username, Password = _opts.Password },
                ConnectTimeout = _opts.PublishTimeout,
                RequestTimeout = _opts.PublishTimeout,
                MaxReconnectRetry = -1,
                PublishTimeoutOnDisconnected = true,
            });
            connection.ConnectionDisconnected += OnDisconnectedAsync;
            _connection = connection;
            _js = new NatsJSContext(connection);
        }

        try
        {
            // ConnectAsync waits for the client's own reconnect when one is under way; it takes no token.
            await _connection.ConnectAsync().AsTask().WaitAsync(cancellationToken);
        }
        catch (NatsException)
        {
            // The first connect failed: the client does not retry that one itself, so start afresh.
            await DropConnectionAsync();
            throw;
        }

        await EnsureStreamAsync(cancellationToken);
        StartStatusResponder(_connection);
        await _connection.PublishAsync(_statusSubject, Online, cancellationToken: cancellationToken);
        return session.Token;
    }

    public override async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        var js = _js ?? throw new InvalidOperationException("not connected");
        Held.Clear();
        var entries = await NatsRosterReader.ReadLastAsync(js, _opts.Stream, NatsSubjects.RosterFilter(_opts.SubjectPrefix, _node), cancellationToken);
        foreach (var entry in entries)
        {
            Held.Add(entry.Subject, entry.Subject[(entry.Subject.LastIndexOf('.') + 1)..], entry.IsDelete ? null : entry.Body);
        }

        foreach (var stray in Held.Strays)
        {
            _log.LogWarning("nats: deleting {Subject}: in the stream under this node's roster, but no endpoint", stray);
            await PublishDeleteAsync(stray, $"{_node}-{_instance}-stray-{stray}", cancellationToken);
        }
    }

    public override async Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken)
    {
        var body = Body(job, _opts.Format, _node);
        if (BrokerHolds(job, body))
        {
            return false;
        }

        // Message ids are unique per bridge run, endpoint and outbox version: a retry of the same
        // publish is deduplicated by the stream, a new state never is.
        var msgId = string.Create(CultureInfo.InvariantCulture, $"{_node}-{_instance}-{job.Endpoint}-{job.Version}");
        if (body.Length == 0)
        {
            await PublishDeleteAsync(_subjects[job.Endpoint], msgId, cancellationToken);
            return true;
        }

        var headers = new NatsHeaders
        {
            ["Content-Type"] = RosterPayload.ContentType(_opts.Format),
            ["Nats-Msg-Id"] = msgId,
        };
        var ack = await _js!.PublishAsync(_subjects[job.Endpoint], body, headers: headers, cancellationToken: cancellationToken);
        ack.EnsureSuccess();
        return true;
    }

    /// <summary>Says <c>offline</c> and stops answering status requests.</summary>
    public override async Task GoOfflineAsync(CancellationToken cancellationToken)
    {
        _statusResponder?.Cancel();
        if (_connection is { ConnectionState: NatsConnectionState.Open } connection)
        {
            await connection.PublishAsync(_statusSubject, Offline, cancellationToken: cancellationToken);
            await connection.PingAsync(cancellationToken); // the publish has reached the server
        }
    }

    public override Task DisconnectAsync() => DropConnectionAsync();

    public override async ValueTask DisposeAsync() => await DropConnectionAsync();

    private void StartStatusResponder(NatsConnection connection)
    {
        if (_statusResponder is not null)
        {
            return; // the client renews its subscriptions after each reconnect
        }

        var responder = new CancellationTokenSource();
        _statusResponder = responder;
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var request in connection.SubscribeAsync<byte[]>(_statusSubject, cancellationToken: responder.Token))
                {
                    if (request.ReplyTo is not null)
                    {
                        await request.ReplyAsync(Online, cancellationToken: responder.Token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // stopped
            }
            catch (NatsException ex)
            {
                _log.LogWarning("nats: status responder stopped: {Error}", ex.Message);
            }
        });
    }

    private async Task<INatsJSStream> EnsureStreamAsync(CancellationToken cancellationToken)
    {
        var js = _js!;
        var ourSubjects = NatsSubjects.RosterFilter(_opts.SubjectPrefix, _node);
        INatsJSStream stream;
        try
        {
            stream = await js.GetStreamAsync(_opts.Stream, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
        {
            var config = new StreamConfig(_opts.Stream, [NatsSubjects.StreamSubject(_opts.SubjectPrefix)])
            {
                MaxMsgsPerSubject = 1,
                Storage = StreamConfigStorage.File,
                AllowDirect = true,
                Description = "RosterBridge: the vmsig roster, last message per endpoint subject",
            };
            _log.LogInformation("nats: creating stream {Stream} for {Subjects}", _opts.Stream, NatsSubjects.StreamSubject(_opts.SubjectPrefix));
            return await js.CreateStreamAsync(config, cancellationToken);
        }

        var existing = stream.Info.Config;
        if (existing.Subjects is null || !existing.Subjects.Any(pattern => NatsSubjects.Covers(pattern, ourSubjects)))
        {
            throw new SinkConfigException(
                $"stream {_opts.Stream} exists but its subjects [{string.Join(", ", existing.Subjects ?? [])}] do not cover {ourSubjects}; " +
                "add them, or point Nats:Stream at another stream");
        }

        if (existing.MaxMsgsPerSubject != 1)
        {
            throw new SinkConfigException(
                $"stream {_opts.Stream} exists but keeps {existing.MaxMsgsPerSubject} messages per subject; RosterBridge needs exactly 1 " +
                "(max_msgs_per_subject = 1), or point Nats:Stream at another stream");
        }

        return stream;
    }

    /// <summary>An empty message marked as a KV bucket marks a delete.</summary>
    private async Task PublishDeleteAsync(string subject, string msgId, CancellationToken cancellationToken)
    {
        var headers = new NatsHeaders { ["KV-Operation"] = "DEL", ["Nats-Msg-Id"] = msgId };
        var ack = await _js!.PublishAsync(subject, Array.Empty<byte>(), headers: headers, cancellationToken: cancellationToken);
        ack.EnsureSuccess();
    }

    private ValueTask OnDisconnectedAsync(object? sender, NatsEventArgs args)
    {
        _log.LogDebug("nats disconnected: {Message}", args.Message);
        _session?.Cancel();
        return ValueTask.CompletedTask;
    }

    private async Task DropConnectionAsync()
    {
        _session?.Cancel();
        _statusResponder?.Cancel();
        _statusResponder = null;
        var connection = _connection;
        _connection = null;
        _js = null;
        if (connection is not null)
        {
            connection.ConnectionDisconnected -= OnDisconnectedAsync;
            try
            {
                // Disposing waits for the socket; a server that hangs (frozen, black-holed) must not hang us.
                await Task.Run(() => connection.DisposeAsync().AsTask()).WaitAsync(DisposeTimeout);
            }
            catch (TimeoutException)
            {
                _log.LogDebug("nats: the old connection is still closing; going on without it");
            }
        }
    }
}
