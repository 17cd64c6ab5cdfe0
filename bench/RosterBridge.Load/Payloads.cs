using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace RosterBridge.Load;

/// <summary>Decodes the bridge's payloads (JSON on MQTT, a MessagePack map on NATS) into the fields compared.</summary>
internal static class Payloads
{
    public static RosterEntry FromJson(in ReadOnlySequence<byte> payload)
    {
        var reader = new Utf8JsonReader(payload);
        uint vmid = 0;
        ulong seq = 0;
        string? state = null;
        string? name = null;
        reader.Read(); // {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isVmid = reader.ValueTextEquals("vmid"u8);
            var isSeq = reader.ValueTextEquals("seq"u8);
            var isState = reader.ValueTextEquals("state"u8);
            var isName = reader.ValueTextEquals("name"u8);
            reader.Read();
            if (isVmid)
            {
                vmid = reader.GetUInt32();
            }
            else if (isSeq)
            {
                seq = reader.GetUInt64();
            }
            else if (isState)
            {
                state = reader.GetString();
            }
            else if (isName)
            {
                name = reader.GetString();
            }
        }

        return new RosterEntry(true, vmid, state, name, seq);
    }

    public static RosterEntry FromMessagePack(ReadOnlyMemory<byte> payload)
    {
        var reader = new MessagePackReader(payload);
        uint vmid = 0;
        ulong seq = 0;
        string? state = null;
        string? name = null;
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "vmid":
                    vmid = reader.ReadUInt32();
                    break;
                case "seq":
                    seq = reader.ReadUInt64();
                    break;
                case "state":
                    state = reader.ReadString();
                    break;
                case "name":
                    name = reader.ReadString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new RosterEntry(true, vmid, state, name, seq);
    }
}
