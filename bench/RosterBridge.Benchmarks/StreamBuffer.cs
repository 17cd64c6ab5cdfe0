namespace RosterBridge.Benchmarks;

/// <summary>How the pre-built events are laid out in memory when the frame reader sees them.</summary>
public enum StreamBuffer
{
    /// <summary>One array: every frame body is contiguous (the best case).</summary>
    OneArray,

    /// <summary>16 KiB segments, as the daemon client's pipe reader hands them out: some frames straddle two segments and are copied.</summary>
    PipeSegments,
}
