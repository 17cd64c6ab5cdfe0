using System.IO.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Roster;

namespace RosterBridge.Daemon;

/// <summary>
/// One subscription to the daemon, up to its SYNC, for <c>rosterbridge check</c>: connect, HELLO,
/// WELCOME, the replay, SYNC, then close. The same session and read loop as the bridge's, into a
/// roster of its own that feeds nothing.
/// </summary>
internal static class DaemonProbe
{
    /// <param name="SessionId">The daemon's session id, from WELCOME.</param>
    /// <param name="Replayed">ROSTER events in the replay.</param>
    /// <param name="Occupied">Endpoints occupied at SYNC.</param>
    public sealed record Result(ulong SessionId, long Replayed, int Occupied, long Rejected);

    /// <summary>Throws what the bridge's client would meet: a socket error, <see cref="DaemonRefusedException"/>, <see cref="DaemonProtocolException"/>, <see cref="TimeoutException"/>.</summary>
    public static async Task<Result> SyncOnceAsync(DaemonEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var socket = endpoint.CreateSocket();
        try
        {
            await socket.ConnectAsync(endpoint.ToEndPoint(), limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection within {timeout.TotalSeconds:F0} s");
        }

        await using var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: false);
        var hello = new byte[EventWriter.WireSize];
        EventWriter.WriteHello(hello, Capabilities.Roster);
        await stream.WriteAsync(hello, limit.Token);

        var feed = new RosterFeed(new RosterTable(), []);
        var counters = new BridgeCounters();
        var session = new DaemonSession(feed, counters, new RateLimitedLog(NullLogger.Instance));
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        using var synced = CancellationTokenSource.CreateLinkedTokenSource(limit.Token);
        try
        {
            await new DaemonReadLoop(feed, TimeProvider.System).RunAsync(reader, session, synced.Cancel, synced.Token);
        }
        catch (OperationCanceledException) when (session.Phase == SessionPhase.Live)
        {
            return new Result(session.SessionId, counters.Events(EventKind.Roster), feed.OccupiedCount, counters.Rejected);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(session.Phase == SessionPhase.AwaitingWelcome
                ? $"connected, but no WELCOME within {timeout.TotalSeconds:F0} s"
                : $"WELCOME, but no SYNC within {timeout.TotalSeconds:F0} s");
        }
        finally
        {
            await reader.CompleteAsync();
        }

        throw new InvalidOperationException("the read loop ended without an exception");
    }
}
