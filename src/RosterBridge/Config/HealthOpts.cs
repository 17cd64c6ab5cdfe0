namespace RosterBridge.Config;

/// <summary>The HTTP listener for <c>/healthz</c> and <c>/readyz</c>.</summary>
internal sealed record HealthOpts
{
    /// <summary>0 turns the listener off.</summary>
    public int Port { get; init; } = 8089;

    /// <summary>127.0.0.1 by default; 0.0.0.0 for probes from outside (Kubernetes).</summary>
    public string Address { get; init; } = "127.0.0.1";
}
