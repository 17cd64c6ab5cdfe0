namespace RosterBridge.Load;

/// <summary>
/// One broker's side of the measurement: a live subscriber to the node's roster (and to the probe
/// topic), and a separate publisher connection for the broker's own publish→subscribe latency.
/// </summary>
internal interface ILiveSubscriber : IAsyncDisposable
{
    string Broker { get; }

    RosterView View { get; }

    /// <summary>Payloads that could not be decoded, or other trouble in the subscriber.</summary>
    IReadOnlyList<string> Errors { get; }

    /// <summary>
    /// Completes when everything the broker routed to this subscriber before the call has been
    /// received: a message of its own, under the roster filter but no endpoint, comes back after it.
    /// </summary>
    Task BarrierAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Whatever the barriers left where a late subscriber would see it (must be nothing), or null.</summary>
    Task<string?> BarrierLeftoversAsync(CancellationToken cancellationToken);

    /// <summary>Publishes probe <paramref name="id"/> as the bridge publishes, from the publisher connection.</summary>
    Task ProbeAsync(long id, LatencyBook book, CancellationToken cancellationToken);
}
