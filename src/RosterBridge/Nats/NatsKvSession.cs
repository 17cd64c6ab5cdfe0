using System.Globalization;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Tls;

namespace RosterBridge.Nats;

/// <summary>
/// KV mode (<c>Nats:Mode kv</c>): each endpoint is the key <c>{node}.{endpoint}</c> of the bucket
/// <c>Nats:Bucket</c>, written through NATS.Client.KeyValueStore so that <c>nats kv get/watch</c> and
/// every KV client read it as their own; a vacant endpoint is a KV delete. Each put names the revision
/// it replaces (0: the key has no entry), so a put that would land on an entry this session did not
/// see is refused; a delete names it too. Read-back is stream mode's, on the bucket's stream.
/// </summary>
internal sealed class NatsKvSession : NatsSession
{
    private readonly string _stream;
    private readonly string _endpointSubjects;
    private readonly string _nodeSubjects;
    private INatsKVStore? _store;

    public NatsKvSession(NatsConnection connection, NatsSinkOpts opts, NatsNodeSubjects subjects, ILogger log, TlsTrust trust)
        : base(connection, opts, subjects, log, trust)
    {
        _stream = NatsKeys.Stream(opts.Bucket);
        _endpointSubjects = NatsKeys.EndpointSubjects(opts.Bucket, subjects.Node);
        _nodeSubjects = NatsKeys.Subject(opts.Bucket, NatsKeys.NodeFilter(subjects.Node));
    }

    private INatsKVStore Store => _store ?? throw new InvalidOperationException("the bucket was not prepared");

    public override async Task<string?> PrepareAsync(CancellationToken cancellationToken)
    {
        var kv = new NatsKVContext(Js);
        var stream = await FindOrCreateAsync(_stream, $"KV bucket {Opts.Bucket}", async ct => _store = await CreateAsync(kv, ct), cancellationToken);
        if (stream is null)
        {
            return null;
        }

        // Checked before the KV client binds to it: it would refuse some of these without naming them.
        Check(stream.Info.Config, Opts.Bucket, _endpointSubjects);
        _store = await kv.GetStoreAsync(Opts.Bucket, cancellationToken);
        return BucketRequirements.ReplicaShortfall(stream.Info.Config, Opts.Bucket, Opts.Replicas);
    }

    /// <summary>Creates the bucket every node's bridge shares.</summary>
    private async Task<INatsKVStore> CreateAsync(NatsKVContext kv, CancellationToken cancellationToken)
    {
        Log.LogInformation("nats: creating KV bucket {Bucket} (stream {Stream}), history 1, {Replicas} replica(s)", Opts.Bucket, _stream, Opts.Replicas);
        return await kv.CreateStoreAsync(
            new NatsKVConfig(Opts.Bucket)
            {
                History = 1,
                Storage = NatsKVStorageType.File,
                NumberOfReplicas = Opts.Replicas,
                Description = "RosterBridge: the vmsig roster, one key per node and endpoint",
            },
            cancellationToken);
    }

    /// <summary>Throws <see cref="SinkConfigException"/> naming every setting of the bucket that could lose the roster.</summary>
    public static void Check(StreamConfig config, string bucket, string ourSubjects)
    {
        var problems = BucketRequirements.Problems(config, ourSubjects);
        if (problems.Count > 0)
        {
            throw new SinkConfigException(
                $"KV bucket {bucket} (Nats:Bucket; stream {NatsKeys.Stream(bucket)}) exists but can lose or refuse roster entries: {string.Join("; ", problems)}. " +
                $"Change the bucket (e.g. nats kv edit {bucket}), or point Nats:Bucket at another one; RosterBridge never changes a bucket it did not create");
        }
    }

    public override async Task ReadBackAsync(CancellationToken cancellationToken)
    {
        // Every key under the node, so that one that is no endpoint (pve1.99, pve1.3.x) is swept too.
        var entries = await ReadStoredAsync(_stream, _nodeSubjects, config => Check(config, Opts.Bucket, _endpointSubjects), cancellationToken);
        foreach (var entry in entries)
        {
            var key = NatsKeys.KeyOf(Opts.Bucket, entry.Subject);
            Held.Add(key, NatsKeys.AfterNode(Subjects.Node, key), entry.IsDelete ? null : entry.Body, entry.Sequence);
        }

        foreach (var stray in Held.Strays)
        {
            Log.LogWarning("nats: deleting key {Key} of bucket {Bucket}: under this node, but no endpoint", stray, Opts.Bucket);
            await Store.DeleteAsync(stray, cancellationToken: cancellationToken);
        }
    }

    public override async Task<bool> PublishAsync(PublishJob job, CancellationToken cancellationToken)
    {
        var body = Body(job, Opts.Format, Subjects.Node);
        if (BrokerHolds(job, body))
        {
            return false;
        }

        var key = Subjects.Keys[job.Endpoint];
        var revision = Held.Sequence(job.Endpoint);
        if (body.Length > 0)
        {
            var put = await Store.TryUpdateAsync(key, body, revision, cancellationToken: cancellationToken);
            Held.Replaced(job.Endpoint, put.Success ? put.Value : throw Refused(put.Error, key, revision));
            return true;
        }

        if (revision == 0)
        {
            // No entry at all since the read-back: nothing to delete (a delete cannot say "no entry").
            return false;
        }

        var deleted = await Store.TryDeleteAsync(key, new NatsKVDeleteOpts { Revision = revision }, cancellationToken);
        if (!deleted.Success)
        {
            throw Refused(deleted.Error, key, revision);
        }

        Held.Replaced(job.Endpoint, await DeleteRevisionAsync(key, cancellationToken));
        return true;
    }

    /// <summary>
    /// The revision of the delete just written (the KV client does not return it), for the next put to
    /// name. A value there instead is another writer's: read back. A guarded publish of an older session
    /// cannot land after the delete, as its revision is older still.
    /// </summary>
    private async Task<ulong> DeleteRevisionAsync(string key, CancellationToken cancellationToken)
    {
        var entry = await Store.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken);
        return entry.Success ? throw new BrokerChangedException($"key {key} of bucket {Opts.Bucket} holds a value right after the bridge deleted it: another writer for this node")
            : entry.Error switch
            {
                NatsKVKeyDeletedException marker => marker.Revision,
                NatsKVKeyNotFoundException => 0, // purged meanwhile: no entry
                var error => throw error,
            };
    }

    private Exception Refused(Exception error, string key, ulong revision) => error is NatsKVWrongLastRevisionException
        ? new BrokerChangedException(string.Create(CultureInfo.InvariantCulture,
            $"key {key} of bucket {Opts.Bucket} is not at the revision read back ({revision}): another writer for this node, or a publish that landed late"), error)
        : error;
}
