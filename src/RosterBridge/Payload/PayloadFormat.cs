namespace RosterBridge.Payload;

internal enum PayloadFormat
{
    Json,
    MessagePack,
}
