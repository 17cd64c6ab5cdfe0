using System.Globalization;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Payload;
using RosterBridge.Tls;

namespace RosterBridge.Nats;

/// <summary>
/// Stream mode (<c>Nats:Mode stream</c>): each endpoint on its own subject of a JetStream stream that
/// keeps the last message per subject; a vacant endpoint is an empty message with <c>KV-Operation: DEL</c>,
/// as a KV bucket writes a delete. Each publish carries the subject's expected last sequence, and a
/// message id (the stream's duplicate window drops the client's own retry).
/// </summary>
internal sealed class NatsStreamSession(NatsConnection connection, NatsSinkOpts opts, NatsNodeSubjects subjects, string msgIdPrefix, ILogger log, TlsTrust trust)
    : NatsSession(connection, opts, subjects, log, trust)
{
    public override async Task<string?> PrepareAsync(CancellationToken cancellationToken)
    {
        var stream = await FindOrCreateAsync(Opts.Stream, $"stream {Opts.Stream}", CreateAsync, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        Check(stream.Info.Config, Opts.Stream, Subjects.RosterFilter);
        return StreamRequirements.ReplicaShortfall(stream.Info.Config, Opts.Stream, Opts.Replicas);
    }

    /// <summary>Creates the stream every node's bridge shares.</summary>
    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var streamSubjects = NatsSubjects.StreamSubject(Opts.SubjectPrefix);
        var config = new StreamConfig(Opts.Stream, [streamSubjects])
        {
            MaxMsgsPerSubject = 1,
            Storage = StreamConfigStorage.File,
            AllowDirect = true,
            NumReplicas = Opts.Replicas,
            Description = "RosterBridge: the vmsig roster, last message per endpoint subject",
        };
        Log.LogInformation("nats: creating stream {Stream} for {Subjects}, {Replicas} replica(s)", Opts.Stream, streamSubjects, Opts.Replicas);
        await Js.CreateStreamAsync(config, cancellationToken);
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

    public override async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        var entries = await ReadStoredAsync(Opts.Stream, Subjects.RosterFilter, config => Check(config, Opts.Stream, Subjects.RosterFilter), cancellationToken);
        foreach (var entry in entries)
        {
            Held.Add(entry.Subject, entry.Subject[(entry.Subject.LastIndexOf('.') + 1)..], entry.IsDelete ? null : entry.Body, entry.Sequence);
        }

        foreach (var stray in Held.Strays)
        {
            Log.LogWarning("nats: deleting {Subject}: in the stream under this node's roster, but no endpoint", stray);
            await PublishAsync(stray, [], expectedSequence: null, $"{msgIdPrefix}-stray-{stray}", cancellationToken);
        }
    }

    public override async Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken)
    {
        var body = Body(job, Opts.Format, Subjects.Node);
        if (BrokerHolds(job, body))
        {
            return false;
        }

        var expected = Held.Sequence(job.Endpoint);
        var msgId = string.Create(CultureInfo.InvariantCulture, $"{msgIdPrefix}-{job.Endpoint}-{job.Version}-{job.Session}");
        var sequence = await PublishAsync(Subjects.Roster[job.Endpoint], body, expected, msgId, cancellationToken);
        Held.Replaced(job.Endpoint, sequence);
        return true;
    }

    /// <summary>Publishes into the stream and returns the entry's sequence; an empty body is a delete marker.</summary>
    private async Task<ulong> PublishAsync(string subject, byte[] body, ulong? expectedSequence, string msgId, CancellationToken cancellationToken)
    {
        var headers = body.Length == 0
            ? new NatsHeaders { ["KV-Operation"] = "DEL" }
            : new NatsHeaders { ["Content-Type"] = RosterPayload.ContentType(Opts.Format) };
        var pubOpts = new NatsJSPubOpts { MsgId = msgId, ExpectedLastSubjectSequence = expectedSequence };
        var ack = await Js.PublishAsync(subject, body, headers: headers, opts: pubOpts, cancellationToken: cancellationToken);
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
}
