using RosterBridge.Payload;

namespace RosterBridge.Config;

/// <summary>The words of <c>Mqtt:Format</c> and <c>Nats:Format</c>.</summary>
internal static class PayloadFormats
{
    public static PayloadFormat Parse(string? text, PayloadFormat defaultFormat) =>
        BridgeSettings.Trimmed(text)?.ToUpperInvariant() switch
        {
            null => defaultFormat,
            "JSON" => PayloadFormat.Json,
            "MSGPACK" or "MESSAGEPACK" => PayloadFormat.MessagePack,
            _ => throw new InvalidOperationException($"payload format '{text}' was not validated"),
        };
}
