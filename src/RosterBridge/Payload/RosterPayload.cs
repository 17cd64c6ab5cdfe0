using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using MessagePack;
using RosterBridge.Frames;
using RosterBridge.Roster;

namespace RosterBridge.Payload;

/// <summary>
/// The published form of an occupied slot, as JSON or as a MessagePack map with the same keys.
/// A vacant slot has no payload: each sink has its own way of saying "gone".
/// </summary>
internal static class RosterPayload
{
    public const string JsonContentType = "application/json";
    public const string MessagePackContentType = "application/msgpack";

    private const int KeyCount = 10;

    // Names stay readable UTF-8 in MQTT tools (é, not \u00E9); quotes, backslashes and control
    // characters are still escaped, so the payload is always valid JSON.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ContentType(PayloadFormat format) =>
        format == PayloadFormat.Json ? JsonContentType : MessagePackContentType;

    public static void Write(IBufferWriter<byte> output, PayloadFormat format, string node, int endpoint, in SlotState slot)
    {
        if (format == PayloadFormat.Json)
        {
            WriteJson(output, node, endpoint, slot);
        }
        else
        {
            WriteMessagePack(output, node, endpoint, slot);
        }
    }

    public static void WriteJson(IBufferWriter<byte> output, string node, int endpoint, in SlotState slot)
    {
        var datum = slot.Datum;
        using var json = new Utf8JsonWriter(output, JsonOptions);
        json.WriteStartObject();
        json.WriteString("node", node);
        json.WriteNumber("endpoint", endpoint);
        json.WriteNumber("vmid", datum.Vmid);
        json.WriteString("name", RosterName.Decode(datum.Name, datum.NameTruncated));
        json.WriteBoolean("name_truncated", datum.NameTruncated);
        json.WriteString("state", VmsigWire.VmStateName(datum.State));
        json.WriteNumber("state_code", datum.State);
        json.WriteString("action", ActionName(slot.Action));
        json.WriteNumber("seq", slot.Seq);
        json.WriteString("ts", Rfc3339(slot.TimestampNs));
        json.WriteEndObject();
    }

    public static void WriteMessagePack(IBufferWriter<byte> output, string node, int endpoint, in SlotState slot)
    {
        var datum = slot.Datum;
        var writer = new MessagePackWriter(output);
        writer.WriteMapHeader(KeyCount);
        writer.Write("node");
        writer.Write(node);
        writer.Write("endpoint");
        writer.Write(endpoint);
        writer.Write("vmid");
        writer.Write(datum.Vmid);
        writer.Write("name");
        writer.Write(RosterName.Decode(datum.Name, datum.NameTruncated));
        writer.Write("name_truncated");
        writer.Write(datum.NameTruncated);
        writer.Write("state");
        writer.Write(VmsigWire.VmStateName(datum.State));
        writer.Write("state_code");
        writer.Write(datum.State);
        writer.Write("action");
        writer.Write(ActionName(slot.Action));
        writer.Write("seq");
        writer.Write(slot.Seq);
        writer.Write("ts");
        writer.Write(Rfc3339(slot.TimestampNs));
        writer.Flush();
    }

    public static string ActionName(RosterAction action) => action == RosterAction.Update ? "update" : "attach";

    /// <summary>RFC 3339 in UTC with the daemon's full nanosecond precision.</summary>
    public static string Rfc3339(ulong unixNanoseconds)
    {
        const ulong NanosPerSecond = 1_000_000_000;
        var seconds = unixNanoseconds / NanosPerSecond;
        var nanos = unixNanoseconds % NanosPerSecond;
        var time = DateTime.UnixEpoch.AddSeconds(seconds);
        return string.Create(CultureInfo.InvariantCulture, $"{time:yyyy'-'MM'-'dd'T'HH':'mm':'ss}.{nanos:D9}Z");
    }
}
