namespace RosterBridge.Frames;

internal enum FrameParseResult
{
    /// <summary>A whole frame was taken off the buffer.</summary>
    Frame,

    /// <summary>The buffer holds only part of a frame; read more.</summary>
    NeedMoreData,

    /// <summary>The length prefix is outside the allowed range: drop the connection.</summary>
    InvalidLength,
}
