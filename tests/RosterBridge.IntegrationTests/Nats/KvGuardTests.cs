using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.IntegrationTests.Nats;

/// <summary>
/// KV mode's publishes name the revision they replace, so a real nats-server refuses a put from a
/// session that did not see the key's newest entry: a late publish never lands an older state after a
/// newer one, and the session reads back (as stream mode does on a wrong last sequence).
/// </summary>
public sealed class KvGuardTests(NatsContainer nats) : IClassFixture<NatsContainer>
{
    private const string Node = "pve9";

    [Fact]
    public async Task A_put_from_a_session_that_did_not_see_the_newest_revision_is_refused_and_the_newest_stays()
    {
        var bucket = Bucket();
        var sink = Sink(bucket);
        await using var older = await sink.ConnectAsync(CancellationToken.None);
        await older.ReadBackAsync(CancellationToken.None);
        await using var newer = await sink.ConnectAsync(CancellationToken.None);
        await newer.ReadBackAsync(CancellationToken.None);

        Assert.True(await newer.PublishAsync(Job(3, vmid: 200, session: 2), CancellationToken.None));
        var refused = await Assert.ThrowsAsync<BrokerChangedException>(() => older.PublishAsync(Job(3, vmid: 100, session: 1), CancellationToken.None));

        Assert.Contains($"key {Node}.3 of bucket {bucket}", refused.Message, StringComparison.Ordinal);
        Assert.Equal(200u, await VmidAsync(bucket, $"{Node}.3"));
    }

    [Fact]
    public async Task Each_put_and_delete_moves_the_revision_on_and_another_writer_is_noticed_then_read_back()
    {
        var bucket = Bucket();
        await using var session = await Sink(bucket).ConnectAsync(CancellationToken.None);
        await session.ReadBackAsync(CancellationToken.None);

        Assert.True(await session.PublishAsync(Job(5, vmid: 1, session: 1), CancellationToken.None));
        Assert.True(await session.PublishAsync(Job(5, vmid: 2, session: 1, version: 2), CancellationToken.None));
        Assert.True(await session.PublishAsync(new PublishJob(5, SlotState.Vacant, 3, BrokerStateUnknown: false, Session: 1), CancellationToken.None));
        await using (var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() }))
        {
            var deleted = await (await Store(connection, bucket)).TryGetEntryAsync<byte[]>($"{Node}.5");
            Assert.IsType<NatsKVKeyDeletedException>(deleted.Error);
        }

        // After its own delete, the session knows the key's revision: the next put is not refused.
        Assert.True(await session.PublishAsync(Job(5, vmid: 4, session: 1, version: 4), CancellationToken.None));
        Assert.Equal(4u, await VmidAsync(bucket, $"{Node}.5"));

        await using (var other = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() }))
        {
            await (await Store(other, bucket)).PutAsync($"{Node}.5", "{\"vmid\":999}"u8.ToArray());
        }

        var changed = await Assert.ThrowsAsync<BrokerChangedException>(() => session.PublishAsync(Job(5, vmid: 5, session: 1, version: 5), CancellationToken.None));
        Assert.Contains($"key {Node}.5", changed.Message, StringComparison.Ordinal);
        Assert.Equal(999u, await VmidAsync(bucket, $"{Node}.5"));

        await session.ReadBackAsync(CancellationToken.None); // what the runner does next
        Assert.True(await session.PublishAsync(Job(5, vmid: 5, session: 2, version: 5), CancellationToken.None));
        Assert.Equal(5u, await VmidAsync(bucket, $"{Node}.5"));
    }

    private static PublishJob Job(int endpoint, uint vmid, long session, long version = 1) =>
        new(endpoint, new SlotState(new RosterDatum { Vmid = vmid, State = 3, Action = (uint)RosterAction.Attach }, RosterAction.Attach, (ulong)version, (ulong)version),
            version, BrokerStateUnknown: true, session);

    private static async Task<INatsKVStore> Store(NatsConnection connection, string bucket) =>
        await new NatsKVContext(new NatsJSContext(connection)).GetStoreAsync(bucket);

    private async Task<uint> VmidAsync(string bucket, string key)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() });
        var entry = await (await Store(connection, bucket)).GetEntryAsync<byte[]>(key);
        using var json = JsonDocument.Parse(entry.Value);
        return json.RootElement.GetProperty("vmid").GetUInt32();
    }

    private NatsSink Sink(string bucket) => new(
        new NatsSinkOpts
        {
            Url = new BrokerUrl(nats.Host, nats.Port), Mode = NatsMode.Kv, Bucket = bucket, PublishTimeout = TimeSpan.FromSeconds(10),
            Format = Payload.PayloadFormat.Json,
        },
        Node,
        NullLogger.Instance);

    private static string Bucket() => $"guard_{Guid.NewGuid():N}"[..20];
}
