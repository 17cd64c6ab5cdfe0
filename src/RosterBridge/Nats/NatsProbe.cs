using NATS.Client.Core;
using NATS.Client.JetStream;
using RosterBridge.Config;

namespace RosterBridge.Nats;

/// <summary>One NATS connect with the bridge's settings and credentials, and a look at its stream or KV bucket, for <c>rosterbridge check</c>; changes nothing.</summary>
internal static class NatsProbe
{
    /// <param name="Storage">What holds the roster: <c>stream VMSIG_ROSTER</c>, <c>KV bucket vmsig_roster</c>.</param>
    /// <param name="StreamExists">False: the bridge creates the stream (or bucket) at its first connect.</param>
    /// <param name="Problems">What in an existing stream or bucket could lose or refuse roster entries (the bridge refuses to run with any).</param>
    /// <param name="Entries">The node's subjects (keys) that hold an entry, deletes included.</param>
    /// <param name="Warning">What is short of the settings but does not stop the bridge (fewer replicas than Nats:Replicas), or null.</param>
    public sealed record Result(string ServerVersion, string Storage, bool StreamExists, IReadOnlyList<string> Problems, long Entries, string? Warning = null);

    public static async Task<Result> CheckOnceAsync(NatsSinkOpts opts, string node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var trust = NatsConnect.Trust(opts, TimeProvider.System);
        await using var connection = new NatsConnection(NatsConnect.Options(opts, "rosterbridge-check", trust) with
        {
            ConnectTimeout = timeout,
            RequestTimeout = timeout,
        });
        try
        {
            try
            {
                await connection.ConnectAsync().AsTask().WaitAsync(limit.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw NatsConnect.Explain(ex, opts, trust);
            }

            var js = new NatsJSContext(connection);
            var kv = opts.Mode == NatsMode.Kv;
            var storage = kv ? $"KV bucket {opts.Bucket}" : $"stream {opts.Stream}";
            var streamName = kv ? NatsKeys.Stream(opts.Bucket) : opts.Stream;
            var filter = kv ? NatsKeys.Subject(opts.Bucket, NatsKeys.NodeFilter(node)) : NatsSubjects.RosterFilter(opts.SubjectPrefix, node);
            INatsJSStream stream;
            try
            {
                stream = await NatsRosterReader.GetStreamAsync(js, streamName, filter, limit.Token);
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
            {
                return new Result(connection.ServerInfo?.Version ?? "?", storage, StreamExists: false, [], 0);
            }

            var problems = kv
                ? BucketRequirements.Problems(stream.Info.Config, NatsKeys.EndpointSubjects(opts.Bucket, node))
                : StreamRequirements.Problems(stream.Info.Config, filter);
            var warning = kv
                ? BucketRequirements.ReplicaShortfall(stream.Info.Config, opts.Bucket, opts.Replicas)
                : StreamRequirements.ReplicaShortfall(stream.Info.Config, opts.Stream, opts.Replicas);
            return new Result(connection.ServerInfo?.Version ?? "?", storage, StreamExists: true, problems, stream.Info.State.Subjects?.Count ?? 0, warning);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no answer within {timeout.TotalSeconds:F0} s");
        }
        catch (NatsNoRespondersException)
        {
            throw new InvalidOperationException("the server answered, but not for JetStream: is JetStream enabled (nats-server -js)?");
        }
    }
}
