namespace RosterBridge.Health;

internal sealed record SinkReadiness(string Name, bool Connected, int Pending, long Published, long FailedPublishes);
