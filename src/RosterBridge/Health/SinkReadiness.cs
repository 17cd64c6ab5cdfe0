namespace RosterBridge.Health;

/// <param name="Published">Slot states the broker acknowledged, or was found to hold already.</param>
/// <param name="Sent">Messages actually sent to the broker.</param>
/// <param name="Sessions">Sessions started: connects, reconnects and sweeps.</param>
/// <param name="Problem">Why the sink is not connected or was last dropped (a denial says "denied"); null while all is well.</param>
/// <param name="ProblemKind">The problem's kind: auth, tls, denied, unreachable or lost (Outbox/SinkProblem.cs).</param>
internal sealed record SinkReadiness(string Name, bool Connected, int Pending, long Published, long FailedPublishes, long Sent = 0, long Sessions = 0, string? Problem = null, string? ProblemKind = null);
