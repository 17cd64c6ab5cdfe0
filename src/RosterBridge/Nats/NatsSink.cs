using System.Text;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using RosterBridge.Config;
using RosterBridge.Outbox;

namespace RosterBridge.Nats;

/// <summary>
/// Publishes each endpoint into JetStream: on its own subject of a stream that keeps the last message
/// per subject (<see cref="NatsStreamSession"/>), or as a key of a KV bucket (<see cref="NatsKvSession"/>,
/// <c>Nats:Mode kv</c>). Each connect is a new NATS connection in a new session, which creates or checks
/// the stream or bucket: the server may have lost it meanwhile, and nothing buffered in an old connection
/// may reach a new one. Availability is on a core subject, <c>{prefix}.{node}.bridge.status</c>, in both modes.
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

        // Stream mode's message ids must never repeat across bridge runs, or the stream's duplicate
        // window would drop a real change as a replay of an old one.
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
        NatsSession session = _opts.Mode == NatsMode.Kv
            ? new NatsKvSession(connection, _opts, _subjects, _log, trust)
            : new NatsStreamSession(connection, _opts, _subjects, $"{Instance}-{Interlocked.Increment(ref _sessions)}", _log, trust);
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

            WarnOfReplicas(await session.PrepareAsync(cancellationToken));
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

    /// <summary>Says once (again when it changes) that an existing stream or bucket keeps fewer copies than asked: a warning, not a refusal.</summary>
    private void WarnOfReplicas(string? shortfall)
    {
        if (shortfall is not null && shortfall != Interlocked.Exchange(ref _replicaWarning, shortfall))
        {
            _log.LogWarning("nats: {Shortfall}", shortfall);
        }
        else if (shortfall is null)
        {
            Volatile.Write(ref _replicaWarning, null);
        }
    }
}
