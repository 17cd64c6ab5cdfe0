using System.Net.Sockets;
using System.Text;

namespace RosterBridge.Tests.Peers;

/// <summary>
/// Just enough of an MQTT 5 broker to script a connection's edges: it accepts CONNECT with
/// CONNACK, answers PINGREQ, and acknowledges a PUBLISH only when <see cref="AcknowledgePublish"/>
/// says so. Every packet it reads is reported on <see cref="ScriptedPeer{TSeen}.Seen"/>.
/// </summary>
internal sealed class ScriptedMqttBroker : ScriptedPeer<ScriptedMqttBroker.Packet>
{
    /// <summary>A packet the broker read: which connection (1, 2, ...), its type and, for PUBLISH, the topic.</summary>
    /// <param name="Level">The protocol level the connection's CONNECT asked for: 4 is MQTT 3.1.1, 5 is MQTT 5.</param>
    /// <param name="Properties">A PUBLISH's MQTT 5 properties, raw (none in 3.1.1).</param>
    public sealed record Packet(int Connection, string Type, string Topic, byte[] Payload, int Level = 5, byte[]? Properties = null);

    /// <summary>Decides per connection and topic whether a QoS 1 PUBLISH gets its PUBACK.</summary>
    public Func<int, string, bool> AcknowledgePublish { get; set; } = (_, _) => true;

    protected override async Task ServeAsync(NetworkStream stream, int connection)
    {
        var level = 5;
        while (true)
        {
            var first = new byte[1];
            if (await stream.ReadAsync(first, Stop.Token) == 0)
            {
                return;
            }

            var length = await ReadRemainingLengthAsync(stream);
            var body = new byte[length];
            await stream.ReadExactlyAsync(body, Stop.Token);
            level = await HandleAsync(stream, connection, level, first[0], body);
        }
    }

    /// <returns>The connection's protocol level, as its CONNECT set it.</returns>
    private async Task<int> HandleAsync(NetworkStream stream, int connection, int level, byte header, byte[] body)
    {
        switch (header >> 4)
        {
            case 1: // CONNECT → CONNACK, success (MQTT 5: and no properties)
                level = body[6]; // after the protocol name "MQTT" and its length
                Seen.Writer.TryWrite(new Packet(connection, "CONNECT", string.Empty, [], level));
                await stream.WriteAsync(level == 5 ? new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 } : new byte[] { 0x20, 0x02, 0x00, 0x00 }, Stop.Token);
                break;
            case 3: // PUBLISH
                var topicLength = (body[0] << 8) | body[1];
                var topic = Encoding.UTF8.GetString(body, 2, topicLength);
                var qos = (header >> 1) & 3;
                var offset = 2 + topicLength;
                var packetId = qos > 0 ? body.AsSpan(offset, 2).ToArray() : [];
                offset += packetId.Length;
                var (propertiesLength, lengthBytes) = level == 5 ? ReadVariableInteger(body, offset) : (0, 0);
                var properties = body[(offset + lengthBytes)..(offset + lengthBytes + propertiesLength)];
                var payload = body[(offset + lengthBytes + propertiesLength)..];
                Seen.Writer.TryWrite(new Packet(connection, "PUBLISH", topic, payload, level, properties));
                if (qos == 1 && AcknowledgePublish(connection, topic))
                {
                    await stream.WriteAsync(new byte[] { 0x40, 0x02, packetId[0], packetId[1] }, Stop.Token);
                }

                break;
            case 12: // PINGREQ → PINGRESP
                await stream.WriteAsync(new byte[] { 0xD0, 0x00 }, Stop.Token);
                break;
            case 14: // DISCONNECT
                Seen.Writer.TryWrite(new Packet(connection, "DISCONNECT", string.Empty, []));
                throw new EndOfStreamException();
            default:
                Seen.Writer.TryWrite(new Packet(connection, $"type {header >> 4}", string.Empty, body));
                break;
        }

        return level;
    }

    private async Task<int> ReadRemainingLengthAsync(NetworkStream stream)
    {
        var value = 0;
        var one = new byte[1];
        for (var shift = 0; shift < 28; shift += 7)
        {
            await stream.ReadExactlyAsync(one, Stop.Token);
            value |= (one[0] & 0x7F) << shift;
            if ((one[0] & 0x80) == 0)
            {
                return value;
            }
        }

        throw new IOException("malformed remaining length");
    }

    private static (int Value, int Bytes) ReadVariableInteger(byte[] body, int offset)
    {
        var value = 0;
        for (var i = 0; i < 4; i++)
        {
            value |= (body[offset + i] & 0x7F) << (7 * i);
            if ((body[offset + i] & 0x80) == 0)
            {
                return (value, i + 1);
            }
        }

        throw new IOException("malformed variable byte integer");
    }
}
