using NATS.Client.Core;
using NATS.Client.JetStream;
using RosterBridge.Config;

namespace RosterBridge.Nats;

/// <summary>One NATS connect with the bridge's settings and credentials, and a look at its stream, for <c>rosterbridge check</c>; changes nothing.</summary>
internal static class NatsProbe
{
    /// <param name="StreamExists">False: the bridge creates the stream at its first connect.</param>
    /// <param name="Problems">What in an existing stream could lose or refuse roster entries (the bridge refuses to run with any).</param>
    /// <param name="Warning">What is short of the settings but does not stop the bridge (fewer replicas than Nats:Replicas), or null.</param>
    public sealed record Result(string ServerVersion, bool StreamExists, IReadOnlyList<string> Problems, long Entries, string? Warning = null);

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
            var filter = NatsSubjects.RosterFilter(opts.SubjectPrefix, node);
            INatsJSStream stream;
            try
            {
                stream = await NatsRosterReader.GetStreamAsync(js, opts.Stream, filter, limit.Token);
            }
            catch (NatsJSApiException ex) when (ex.Error.ErrCode == JetStreamErrorCodes.StreamNotFound)
            {
                return new Result(connection.ServerInfo?.Version ?? "?", StreamExists: false, [], 0);
            }

            return new Result(connection.ServerInfo?.Version ?? "?", StreamExists: true,
                StreamRequirements.Problems(stream.Info.Config, filter), stream.Info.State.Subjects?.Count ?? 0,
                StreamRequirements.ReplicaShortfall(stream.Info.Config, opts.Stream, opts.Replicas));
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
