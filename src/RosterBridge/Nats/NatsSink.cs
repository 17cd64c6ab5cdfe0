using System.Text;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;
using RosterBridge.Outbox;

namespace RosterBridge.Nats;

/// <summary>
/// Publishes each endpoint on its own subject into a JetStream stream that keeps the last message
/// per subject; a vacant endpoint is an empty message with <c>KV-Operation: DEL</c>, as a KV bucket
/// writes a delete. Each connect is a new NATS connection in a new <see cref="NatsSession"/>: the
/// server may have lost the stream meanwhile, and nothing buffered in an old connection may reach
/// a new one. Availability is on a core subject, <c>{prefix}.{node}.bridge.status</c>.
/// </summary>
internal sealed class NatsSink : RosterSink
{
    internal static readonly byte[] Online = Encoding.ASCII.GetBytes("online");
    internal static readonly byte[] Offline = Encoding.ASCII.GetBytes("offline");

    private readonly NatsSinkOpts _opts;
    private readonly NatsNodeSubjects _subjects;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private long _sessions;
    private string? _replicaWarning;

    public NatsSink(NatsSinkOpts opts, string node, ILogger log, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _opts = opts;
        _log = log;
        _subjects = new NatsNodeSubjects(opts.SubjectPrefix, node);

        // Message ids must never repeat across bridge runs, or the stream's duplicate window would
        // drop a real change as a replay of an old one.
        Instance = $"{node}-{Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()))}";
    }

    public override string Name => "nats";

    public override string Target => _opts.ServerList;

    /// <summary>This bridge run's part of every message id.</summary>
    public string Instance { get; }

    public override async Task<BrokerSession> ConnectAsync(CancellationToken cancellationToken)
    {
        // Kept for the life of the connection: the client checks certificates again when it reconnects.
        var trust = NatsConnect.Trust(_opts, _time);
        var connection = new NatsConnection(NatsConnect.Options(_opts, $"rosterbridge-{_subjects.Node}", trust));
        var session = new NatsSession(connection, _opts, _subjects, $"{Instance}-{Interlocked.Increment(ref _sessions)}", _log, trust);
        try
        {
            try
            {
                // NATS.Net's ConnectAsync takes no token.
                await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw NatsConnect.Explain(ex, _opts, trust);
            }

            await EnsureStreamAsync(new NatsJSContext(connection), cancellationToken);
            session.StartStatusResponder();
            await connection.PublishAsync(_subjects.Status, Online, cancellationToken: cancellationToken);
            return session;
        }
        catch
        {
            // Half a connect is no connect: the next attempt starts from nothing.
            await session.DisposeAsync();
            throw;
        }
    }

    private async Task EnsureStreamAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        INatsJSStream stream;
        try
        {
            stream = await js.GetStreamAsync(_opts.Stream, cancellationToken: cancellationToken);
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
        {
            if (await CreateStreamAsync(js, cancellationToken))
            {
                return;
            }

            // Another node's bridge made it between our look and our create: it is checked as any stream found.
            stream = await js.GetStreamAsync(_opts.Stream, cancellationToken: cancellationToken);
        }

        Check(stream.Info.Config, _opts.Stream, _subjects.RosterFilter);
        WarnOfReplicas(stream.Info.Config);
    }

    /// <summary>Creates the stream every node's bridge shares; false when another bridge created it first with other settings.</summary>
    private async Task<bool> CreateStreamAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        var subjects = NatsSubjects.StreamSubject(_opts.SubjectPrefix);
        var config = new StreamConfig(_opts.Stream, [subjects])
        {
            MaxMsgsPerSubject = 1,
            Storage = StreamConfigStorage.File,
            AllowDirect = true,
            NumReplicas = _opts.Replicas,
            Description = "RosterBridge: the vmsig roster, last message per endpoint subject",
        };
        _log.LogInformation("nats: creating stream {Stream} for {Subjects}, {Replicas} replica(s)", _opts.Stream, subjects, _opts.Replicas);
        try
        {
            // A create of a stream that exists with this very configuration succeeds: bridges starting together all get here.
            await js.CreateStreamAsync(config, cancellationToken);
            return true;
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNameInUse)
        {
            return false;
        }
        catch (NatsJSApiException ex) when (ex.Error.ErrCode is JetStreamErrorCodes.NoSuitablePeers or JetStreamErrorCodes.InsufficientResources)
        {
            // Not a setting to give up on: a server of the cluster is down, and the create is retried with the backoff.
            throw new IOException(
                $"cannot create stream {_opts.Stream} with {_opts.Replicas} replica(s) ({ex.Error.Description}): fewer servers of the cluster have JetStream up than Nats:Replicas asks; retrying until they do",
                ex);
        }
    }

    /// <summary>Says once (again when it changes) that an existing stream keeps fewer copies than asked: a warning, not a refusal.</summary>
    private void WarnOfReplicas(StreamConfig config)
    {
        var shortfall = StreamRequirements.ReplicaShortfall(config, _opts.Stream, _opts.Replicas);
        if (shortfall is not null && shortfall != Interlocked.Exchange(ref _replicaWarning, shortfall))
        {
            _log.LogWarning("nats: {Shortfall}", shortfall);
        }
        else if (shortfall is null)
        {
            Volatile.Write(ref _replicaWarning, null);
        }
    }

    /// <summary>Throws <see cref="SinkConfigException"/> naming every setting of the stream that could lose the roster.</summary>
    public static void Check(StreamConfig config, string streamName, string ourSubjects)
    {
        var problems = StreamRequirements.Problems(config, ourSubjects);
        if (problems.Count > 0)
        {
            throw new SinkConfigException(
                $"stream {streamName} exists but can lose or refuse roster entries: {string.Join("; ", problems)}. " +
                $"Change the stream (e.g. nats stream edit {streamName}), or point Nats:Stream at another one; RosterBridge never changes a stream it did not create");
        }
    }
}
