using System.Buffers;
using System.Text;
using System.Text.Json;
using CsCheck;
using MessagePack;
using RosterBridge.Payload;
using RosterBridge.Roster;
using RosterBridge.Tests.Roster;
using Xunit;

namespace RosterBridge.Tests.Payload;

public class RosterPayloadTests
{
    private static readonly string[] Keys =
        ["node", "endpoint", "vmid", "name", "name_truncated", "state", "state_code", "action", "seq", "ts"];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static SlotState Slot(RosterDatum datum, RosterAction action, ulong seq, ulong timestampNs) =>
        new(datum, action, seq, timestampNs);

    private static byte[] Json(string node, int endpoint, in SlotState slot)
    {
        var output = new ArrayBufferWriter<byte>();
        RosterPayload.WriteJson(output, node, endpoint, slot);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] MsgPack(string node, int endpoint, in SlotState slot)
    {
        var output = new ArrayBufferWriter<byte>();
        RosterPayload.WriteMessagePack(output, node, endpoint, slot);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The JSON object as key → value (strings, bools, and numbers as decimal text), in order.</summary>
    private static List<KeyValuePair<string, object>> ParseJson(byte[] json)
    {
        var text = StrictUtf8.GetString(json); // the output is valid UTF-8
        using var document = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        return document.RootElement.EnumerateObject()
            .Select(property => new KeyValuePair<string, object>(property.Name, property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new InvalidOperationException($"unexpected {property.Value.ValueKind} for {property.Name}"),
            }))
            .ToList();
    }

    /// <summary>The MessagePack map as key → value, numbers as decimal text, in order.</summary>
    private static List<KeyValuePair<string, object>> ParseMessagePack(byte[] bytes)
    {
        var reader = new MessagePackReader(bytes);
        var count = reader.ReadMapHeader();
        var pairs = new List<KeyValuePair<string, object>>();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(MessagePackType.String, reader.NextMessagePackType);
            var key = reader.ReadString()!;
            object value = reader.NextMessagePackType switch
            {
                MessagePackType.String => reader.ReadString()!,
                MessagePackType.Boolean => reader.ReadBoolean(),
                MessagePackType.Integer => reader.NextCode == MessagePackCode.UInt64
                    ? reader.ReadUInt64().ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : reader.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                var other => throw new InvalidOperationException($"unexpected {other} for {key}"),
            };
            pairs.Add(new KeyValuePair<string, object>(key, value));
        }

        Assert.True(reader.End, "bytes after the map");
        return pairs;
    }

    private static Dictionary<string, object> Expected(
        string node, int endpoint, uint vmid, string name, bool truncated, string state, uint code, string action, ulong seq, string ts) =>
        new()
        {
            ["node"] = node,
            ["endpoint"] = endpoint.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["vmid"] = vmid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["name"] = name,
            ["name_truncated"] = truncated,
            ["state"] = state,
            ["state_code"] = code.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["action"] = action,
            ["seq"] = seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ts"] = ts,
        };

    private static void AssertPayload(Dictionary<string, object> expected, List<KeyValuePair<string, object>> actual)
    {
        Assert.Equal(Keys, actual.Select(pair => pair.Key));
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (key, value) in actual)
        {
            Assert.True(expected[key].Equals(value), $"{key}: expected {expected[key]} ({expected[key].GetType().Name}), got {value} ({value.GetType().Name})");
        }
    }

    [Fact]
    public void Json_has_exactly_the_keys_and_values()
    {
        var slot = Slot(Datums.Attach(101, 3, "web-01"), RosterAction.Attach, 4711, 1_700_000_000_123_456_789);

        var payload = ParseJson(Json("pve1", 5, slot));

        AssertPayload(Expected("pve1", 5, 101, "web-01", false, "running", 3, "attach", 4711, "2023-11-14T22:13:20.123456789Z"), payload);
    }

    [Fact]
    public void MessagePack_has_the_same_keys_and_values_as_json()
    {
        var slot = Slot(Datums.Attach(101, 3, "web-01"), RosterAction.Attach, 4711, 1_700_000_000_123_456_789);

        var payload = ParseMessagePack(MsgPack("pve1", 5, slot));

        AssertPayload(Expected("pve1", 5, 101, "web-01", false, "running", 3, "attach", 4711, "2023-11-14T22:13:20.123456789Z"), payload);
        Assert.Equal(ParseJson(Json("pve1", 5, slot)), payload);
    }

    [Fact]
    public void Update_with_a_truncated_name_and_an_unknown_state()
    {
        var datum = Datums.Update(uint.MaxValue, 42, "vm-" + new string('€', 14));
        Assert.True(datum.NameTruncated);
        var slot = Slot(datum, RosterAction.Update, ulong.MaxValue, 0);
        var expected = Expected("node_2", 63, uint.MaxValue, "vm-" + new string('€', 9), true, "state_42", 42, "update", ulong.MaxValue, "1970-01-01T00:00:00.000000000Z");

        AssertPayload(expected, ParseJson(Json("node_2", 63, slot)));
        AssertPayload(expected, ParseMessagePack(MsgPack("node_2", 63, slot)));
    }

    [Fact]
    public void Invalid_UTF8_in_the_name_still_gives_valid_JSON_and_MessagePack()
    {
        byte[] raw = [(byte)'a', 0xFF, (byte)'b', 0xC3, 0x28, 0xED, 0xA0, 0x80, (byte)'"', (byte)'\\', 0x01];
        var datum = Datums.WithRawName(7, 1, RosterAction.Attach, raw, flags: 0);
        var slot = Slot(datum, RosterAction.Attach, 1, 0);

        var json = Json("n", 0, slot);
        var fromJson = ParseJson(json);
        var fromMsgPack = ParseMessagePack(MsgPack("n", 0, slot));

        Assert.True(System.Text.Unicode.Utf8.IsValid(json));
        var name = (string)fromJson.Single(pair => pair.Key == "name").Value;
        Assert.StartsWith("a\uFFFDb\uFFFD(", name, StringComparison.Ordinal);
        Assert.EndsWith("\"\\\u0001", name, StringComparison.Ordinal);
        Assert.Equal(Datums.NameOf(datum), name);
        Assert.Equal(name, fromMsgPack.Single(pair => pair.Key == "name").Value);
        StrictUtf8.GetBytes(name); // no lone surrogate
    }

    [Fact]
    public void Name_with_non_ASCII_text_round_trips_through_both_formats()
    {
        var slot = Slot(Datums.Attach(1, 3, "Zürich-東京-😀"), RosterAction.Attach, 1, 0);

        Assert.Equal("Zürich-東京-😀", ParseJson(Json("n", 1, slot)).Single(p => p.Key == "name").Value);
        Assert.Equal("Zürich-東京-😀", ParseMessagePack(MsgPack("n", 1, slot)).Single(p => p.Key == "name").Value);
    }

    [Theory]
    [InlineData(0UL, "1970-01-01T00:00:00.000000000Z")]
    [InlineData(1UL, "1970-01-01T00:00:00.000000001Z")]
    [InlineData(999_999_999UL, "1970-01-01T00:00:00.999999999Z")]
    [InlineData(1_000_000_000UL, "1970-01-01T00:00:01.000000000Z")]
    [InlineData(951_782_400_000_000_001UL, "2000-02-29T00:00:00.000000001Z")]
    [InlineData(1_700_000_000_123_456_789UL, "2023-11-14T22:13:20.123456789Z")]
    [InlineData(ulong.MaxValue, "2554-07-21T23:34:33.709551615Z")]
    public void Rfc3339_is_UTC_with_nanoseconds(ulong unixNanoseconds, string expected)
    {
        Assert.Equal(expected, RosterPayload.Rfc3339(unixNanoseconds));
    }

    [Fact]
    public void Rfc3339_agrees_with_DateTime_for_any_time()
    {
        Gen.ULong.Sample(ns =>
        {
            var text = RosterPayload.Rfc3339(ns);
            var expected = DateTime.UnixEpoch.AddTicks((long)(ns / 100));

            Assert.Equal(30, text.Length);
            Assert.EndsWith("Z", text, StringComparison.Ordinal);
            var parsed = DateTime.ParseExact(text[..27], "yyyy-MM-dd'T'HH:mm:ss.fffffff", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(expected, parsed);
            Assert.Equal((ns % 100).ToString("D2", System.Globalization.CultureInfo.InvariantCulture), text[27..29]);
        });
    }

    [Fact]
    public void Write_dispatches_on_the_format_and_ContentType_matches()
    {
        var slot = Slot(Datums.Attach(1, 3, "x"), RosterAction.Attach, 1, 0);
        var json = new ArrayBufferWriter<byte>();
        var msgpack = new ArrayBufferWriter<byte>();

        RosterPayload.Write(json, PayloadFormat.Json, "n", 1, slot);
        RosterPayload.Write(msgpack, PayloadFormat.MessagePack, "n", 1, slot);

        Assert.Equal(Json("n", 1, slot), json.WrittenSpan.ToArray());
        Assert.Equal(MsgPack("n", 1, slot), msgpack.WrittenSpan.ToArray());
        Assert.Equal("application/json", RosterPayload.ContentType(PayloadFormat.Json));
        Assert.Equal("application/msgpack", RosterPayload.ContentType(PayloadFormat.MessagePack));
    }

    [Fact]
    public void ActionName_is_attach_or_update()
    {
        Assert.Equal("attach", RosterPayload.ActionName(RosterAction.Attach));
        Assert.Equal("update", RosterPayload.ActionName(RosterAction.Update));
    }

    [Fact]
    public void Both_formats_agree_for_any_datum()
    {
        Gen.Select(Gen.Byte.Array[48], Gen.Int[0, 63], Gen.ULong, Gen.ULong, Gen.Bool).Sample((raw, endpoint, seq, ts, update) =>
        {
            var datum = RosterDatum.Read(raw);
            var slot = Slot(datum, update ? RosterAction.Update : RosterAction.Attach, seq, ts);

            var fromJson = ParseJson(Json("node", endpoint, slot));
            var fromMsgPack = ParseMessagePack(MsgPack("node", endpoint, slot));

            Assert.Equal(fromJson, fromMsgPack);
            AssertPayload(
                Expected("node", endpoint, datum.Vmid, Datums.NameOf(datum), datum.NameTruncated, RosterBridge.Frames.VmsigWire.VmStateName(datum.State),
                    datum.State, update ? "update" : "attach", seq, RosterPayload.Rfc3339(ts)),
                fromJson);
        });
    }
}
