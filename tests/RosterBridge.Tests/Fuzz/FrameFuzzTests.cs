using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RosterBridge.Daemon;
using RosterBridge.Frames;
using RosterBridge.Health;
using RosterBridge.Outbox;
using RosterBridge.Payload;
using RosterBridge.Roster;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.Tests.Fuzz;

/// <summary>
/// Random and mutated byte streams through the daemon read loop (the frame cutting and the protocol
/// the bridge runs), handed out in random pieces as a socket does: nothing may throw but what drops
/// a connection, and whatever reaches the roster must publish as valid JSON and MessagePack. A few
/// seconds in CI; <c>scripts/fuzz.sh SECONDS [SEED]</c> runs longer and reports how many inputs it tried.
/// The seed is fixed unless <c>ROSTERBRIDGE_FUZZ_SEED</c> sets it, and every failure names it.
/// </summary>
public sealed class FrameFuzzTests(ITestOutputHelper output)
{
    private const string SecondsVariable = "ROSTERBRIDGE_FUZZ_SECONDS";
    private const string SeedVariable = "ROSTERBRIDGE_FUZZ_SEED";
    private const int DefaultSeed = 20_260_107;

    private static readonly int[] SegmentSizes = [128, 512, 4096, 16 * 1024];

    [Fact]
    public async Task Random_and_mutated_streams_never_crash_and_never_reach_the_roster_invalid()
    {
        var seconds = double.TryParse(Environment.GetEnvironmentVariable(SecondsVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 3;
        var seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var given) ? given : DefaultSeed;
        var valid = ValidStream(new Random(seed));
        var clock = Stopwatch.StartNew();
        long inputs = 0, frames = 0, dropped = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            // Each input has its own generator, so a failing one is made again from the seed and its number alone.
            var random = new Random(unchecked(seed + (int)inputs));
            var input = (inputs % 3) switch
            {
                0 => Mutate(valid, random),
                1 => RandomFrames(random),
                _ => RandomBytes(random),
            };

            try
            {
                var (handled, drops) = await FeedAsync(input, random);
                frames += handled;
                dropped += drops;
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"{SeedVariable}={seed}, input {inputs} ({Convert.ToHexString(input)}): {ex}");
            }

            inputs++;
        }

        output.WriteLine($"fuzz: {inputs} inputs, {frames} frames handled, {dropped} connections dropped in {clock.Elapsed.TotalSeconds:F1} s (seed {seed})");
        Console.WriteLine($"fuzz: {inputs} inputs tried in {clock.Elapsed.TotalSeconds:F1} s (seed {seed})");
        Assert.True(inputs > 100, $"only {inputs} inputs were tried");
    }

    /// <summary>
    /// Runs the read loop over the bytes as over a socket. A dropped connection is followed by a
    /// new one (a new session on the same roster) that reads on where the stream is; what the
    /// dropped one had buffered is lost, as it would be. A refusal ends it, as it ends the bridge.
    /// </summary>
    private static async Task<(long Frames, long Dropped)> FeedAsync(byte[] input, Random random)
    {
        var table = new RosterTable();
        var feed = new RosterFeed(table, [new SinkOutbox()]);
        var counters = new BridgeCounters();
        var loop = new DaemonReadLoop(feed, new FakeTimeProvider());
        await using var stream = new PiecewiseStream(input, random);
        long dropped = 0;
        var refused = false;
        while (!stream.AtEnd && !refused)
        {
            var segment = SegmentSizes[random.Next(SegmentSizes.Length)];
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: segment, minimumReadSize: segment / 4, leaveOpen: true));
            var session = new DaemonSession(feed, counters, new RateLimitedLog(NullLogger.Instance));
            try
            {
                await loop.RunAsync(reader, session, () => { }, CancellationToken.None);
            }
            catch (DaemonProtocolException)
            {
                dropped++;
            }
            catch (DaemonRefusedException)
            {
                refused = true;
            }
            catch (IOException) when (stream.AtEnd)
            {
                // The daemon closed: every byte was read.
            }
            finally
            {
                await reader.CompleteAsync();
            }
        }

        AssertPublishable(table);
        return (counters.Frames, dropped);
    }

    private static void AssertPublishable(RosterTable table)
    {
        var json = new ArrayBufferWriter<byte>();
        var msgpack = new ArrayBufferWriter<byte>();
        for (var endpoint = 0; endpoint < RosterTable.SlotCount; endpoint++)
        {
            ref readonly var slot = ref table[endpoint];
            if (!slot.IsOccupied)
            {
                continue;
            }

            Assert.True(slot.Action is RosterAction.Attach or RosterAction.Update);
            json.ResetWrittenCount();
            RosterPayload.WriteJson(json, "fuzz", endpoint, slot);
            using var document = JsonDocument.Parse(json.WrittenMemory);
            Assert.Equal(endpoint, document.RootElement.GetProperty("endpoint").GetInt32());
            msgpack.ResetWrittenCount();
            RosterPayload.WriteMessagePack(msgpack, "fuzz", endpoint, slot);
            Assert.Equal(document.RootElement.GetProperty("name").GetString(), MessagePackName(msgpack.WrittenMemory));
        }
    }

    /// <summary>The "name" value of a MessagePack map (read directly: MessagePack's own JSON conversion does not escape control characters).</summary>
    private static string? MessagePackName(ReadOnlyMemory<byte> map)
    {
        var reader = new MessagePack.MessagePackReader(map);
        for (var keys = reader.ReadMapHeader(); keys > 0; keys--)
        {
            if (reader.ReadString() == "name")
            {
                return reader.ReadString();
            }

            reader.Skip();
        }

        return null;
    }

    /// <summary>WELCOME, a replay, SYNC and live events, some of them odd but well framed.</summary>
    private static byte[] ValidStream(Random random)
    {
        var events = new List<byte[]>();
        var welcome = new byte[EventWriter.WireSize];
        EventWriter.WriteWelcome(welcome, 1, 1, Capabilities.Roster, 42);
        events.Add(welcome);
        ulong seq = 2;
        for (var i = 0; i < 40; i++)
        {
            if (i == 10)
            {
                var sync = new byte[EventWriter.WireSize];
                EventWriter.WriteSync(sync, seq++, seq);
                events.Add(sync);
                continue;
            }

            var frame = new byte[EventWriter.WireSize];
            var header = new EventHeader((ushort)(i % 7 == 0 ? EventType.MemCtx : EventType.Roster), 1, 1,
                (ushort)random.Next(70), i < 10 ? VmsigWire.FlagReplay : (ushort)0, seq++, seq);
            var datum = new RosterDatum { Vmid = (uint)random.Next(), State = (uint)random.Next(12), Action = (uint)random.Next(4) };
            var name = new byte[random.Next(0, 33)];
            random.NextBytes(name);
            name.AsSpan(0, Math.Min(name.Length, 32)).CopyTo(datum.Name);
            datum.Flags = (uint)random.Next(2);
            datum.Write(EventWriter.WriteEvent(frame, header));
            events.Add(frame);
        }

        return events.SelectMany(e => e).ToArray();
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = valid.ToList();
        for (var i = random.Next(1, 8); i > 0; i--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveAt(at); break;
                case 2: bytes.Insert(at, (byte)random.Next(256)); break;
                default: bytes[at] ^= (byte)(1 << random.Next(8)); break;
            }
        }

        return random.Next(10) == 0 ? bytes.Take(random.Next(bytes.Count)).ToArray() : bytes.ToArray();
    }

    /// <summary>Well-framed events of any type with random headers and payloads, some of odd lengths.</summary>
    private static byte[] RandomFrames(Random random)
    {
        var stream = new List<byte>();
        var welcome = new byte[EventWriter.WireSize];
        EventWriter.WriteWelcome(welcome, 1, 1, random.Next(4) == 0 ? Capabilities.None : Capabilities.Roster, 1);
        stream.AddRange(welcome);
        for (var i = random.Next(1, 30); i > 0; i--)
        {
            var length = random.Next(10) == 0 ? random.Next(VmsigWire.MinFrameLength, 300) : VmsigWire.EventSize;
            var body = new byte[length];
            random.NextBytes(body);
            BitConverter.GetBytes((ushort)random.Next(1, 20)).CopyTo(body, 0);
            stream.AddRange(BitConverter.GetBytes((uint)length));
            stream.AddRange(body);
        }

        return stream.ToArray();
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 2000)];
        random.NextBytes(bytes);
        return bytes;
    }
}
