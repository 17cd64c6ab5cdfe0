using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MessagePack;

namespace RosterBridge.Cli;

/// <summary>
/// MessagePack to JSON with <see cref="MessagePackReader"/> alone, for <c>show</c>.
/// MessagePackSerializer.ConvertToJson would do the same, but touching MessagePackSerializer pulls
/// its reflection- and Reflection.Emit-based resolvers into a Native AOT build (IL2104, IL3053).
/// </summary>
internal static class MessagePackJson
{
    private const int MaxDepth = 32;

    // Names as they are (as ConvertToJson writes them), not as \u escapes; quotes and controls are still escaped.
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The payload as JSON; throws <see cref="FormatException"/> when it is not one whole MessagePack value.</summary>
    public static string Convert(ReadOnlyMemory<byte> payload)
    {
        var output = new ArrayBufferWriter<byte>();
        try
        {
            var reader = new MessagePackReader(payload);
            using (var json = new Utf8JsonWriter(output, Options))
            {
                WriteValue(ref reader, json, depth: 0);
            }

            if (!reader.End)
            {
                throw new FormatException("bytes after the MessagePack value");
            }
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException("not MessagePack", ex);
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static void WriteValue(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new FormatException("MessagePack nested too deeply");
        }

        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;
            case MessagePackType.Float:
                json.WriteNumberValue(reader.ReadDouble());
                break;
            case MessagePackType.String:
                json.WriteStringValue(reader.ReadString());
                break;
            case MessagePackType.Binary:
                json.WriteBase64StringValue(reader.ReadBytes()?.ToArray() ?? []);
                break;
            case MessagePackType.Array:
                var items = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    WriteValue(ref reader, json, depth + 1);
                }

                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                var entries = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < entries; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw new FormatException("a MessagePack map key that is not a string");
                    }

                    json.WritePropertyName(reader.ReadString() ?? string.Empty);
                    WriteValue(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;
            default:
                throw new FormatException($"MessagePack {reader.NextMessagePackType} has no JSON form");
        }
    }
}
