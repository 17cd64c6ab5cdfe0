namespace RosterBridge.Outbox;

/// <summary>
/// What is wrong with a sink: its kind, one of <see cref="Kinds"/> (the <c>kind</c> label of the metric
/// <c>rosterbridge_sink_problem</c>, and <c>problem_kind</c> in <c>/readyz</c>), and the words a user reads.
/// </summary>
internal sealed record SinkProblem(string Kind, string Text)
{
    /// <summary>The broker refused the bridge's credentials (password, token, NKey, .creds, client certificate's user).</summary>
    public const string Auth = "auth";

    /// <summary>TLS failed: a certificate not trusted or for another host, an expired client certificate, TLS against plaintext or the other way round.</summary>
    public const string Tls = "tls";

    /// <summary>The broker's ACL or permissions refused a publish or subscribe of the bridge.</summary>
    public const string Denied = "denied";

    /// <summary>No connection could be made: nothing listens, no route, no answer in time.</summary>
    public const string Unreachable = "unreachable";

    /// <summary>A connection was made and then lost (a publish or read-back failed or timed out).</summary>
    public const string Lost = "lost";

    /// <summary>Every kind, in the order the metric lists them.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [Auth, Tls, Denied, Unreachable, Lost];
}
