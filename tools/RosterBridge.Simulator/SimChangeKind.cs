namespace RosterBridge.Simulate;

/// <summary>What a <see cref="SimChange"/> does to the simulated daemon.</summary>
internal enum SimChangeKind
{
    Attach,
    Update,
    Detach,

    /// <summary>A MEMCTX event on the endpoint: noise that bridges must skip.</summary>
    MemCtx,
}
