using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using RosterBridge.Config;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.Nats;
using RosterBridge.Outbox;
using RosterBridge.Roster;
using Xunit;

namespace RosterBridge.IntegrationTests.Nats;

/// <summary>
/// Each NATS publish names the entry it replaces (the expected last subject sequence), so that a
/// real nats-server refuses one that would overwrite an entry its session did not see: an older
/// session's publish that arrives late can never replace a newer state.
/// </summary>
public sealed class GuardedPublishTests(NatsContainer nats) : IClassFixture<NatsContainer>
{
    private const string Node = "pve8";

    [Fact]
    public async Task A_publish_from_a_session_that_did_not_see_the_newest_entry_is_refused_and_the_newest_stays()
    {
        var (stream, prefix) = await CreateStreamAsync();
        var sink = Sink(stream, prefix);
        await using var older = await sink.ConnectAsync(CancellationToken.None);
        await older.ReadBackAsync(CancellationToken.None);
        await using var newer = await sink.ConnectAsync(CancellationToken.None);
        await newer.ReadBackAsync(CancellationToken.None);

        Assert.True(await newer.PublishAsync(Job(3, vmid: 200, session: 2), CancellationToken.None));
        await Assert.ThrowsAsync<BrokerChangedException>(() => older.PublishAsync(Job(3, vmid: 100, session: 1), CancellationToken.None));

        Assert.Equal(200u, await LastVmidAsync(stream, $"{prefix}.{Node}.roster.3"));
    }

    [Fact]
    public async Task Each_acknowledged_publish_moves_the_guard_on_a_vacated_slot_included_and_another_writer_is_noticed()
    {
        var (stream, prefix) = await CreateStreamAsync();
        await using var session = await Sink(stream, prefix).ConnectAsync(CancellationToken.None);
        await session.ReadBackAsync(CancellationToken.None);

        Assert.True(await session.PublishAsync(Job(5, vmid: 1, session: 1), CancellationToken.None));
        Assert.True(await session.PublishAsync(Job(5, vmid: 2, session: 1, version: 2), CancellationToken.None));
        Assert.True(await session.PublishAsync(new PublishJob(5, SlotState.Vacant, 3, BrokerStateUnknown: false, Session: 1), CancellationToken.None));
        Assert.True(await session.PublishAsync(Job(5, vmid: 4, session: 1, version: 4), CancellationToken.None));

        await using (var other = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() }))
        {
            (await new NatsJSContext(other).PublishAsync($"{prefix}.{Node}.roster.5", "{\"vmid\":999}"u8.ToArray())).EnsureSuccess();
        }

        var changed = await Assert.ThrowsAsync<BrokerChangedException>(() => session.PublishAsync(Job(5, vmid: 5, session: 1, version: 5), CancellationToken.None));
        Assert.Contains($"{prefix}.{Node}.roster.5", changed.Message, StringComparison.Ordinal);

        await session.ReadBackAsync(CancellationToken.None); // what the runner does next
        Assert.True(await session.PublishAsync(Job(5, vmid: 5, session: 2, version: 5), CancellationToken.None));
        Assert.Equal(5u, await LastVmidAsync(stream, $"{prefix}.{Node}.roster.5"));
    }

    private static PublishJob Job(int endpoint, uint vmid, long session, long version = 1) =>
        new(endpoint, new SlotState(RosterDatumFor(vmid), RosterAction.Attach, (ulong)version, (ulong)version), version, BrokerStateUnknown: true, session);

    private static RosterDatum RosterDatumFor(uint vmid) => new() { Vmid = vmid, State = 3, Action = (uint)RosterAction.Attach };

    private async Task<(string Stream, string Prefix)> CreateStreamAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var (stream, prefix) = ($"GUARD_{id}", $"guard{id}");
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() });
        await new NatsJSContext(connection).CreateStreamAsync(new StreamConfig(stream, [$"{prefix}.*.roster.*"]) { MaxMsgsPerSubject = 1 });
        return (stream, prefix);
    }

    private async Task<uint> LastVmidAsync(string stream, string subject)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = nats.Url.ToString() });
        var js = new NatsJSContext(connection);
        var last = await (await js.GetStreamAsync(stream)).GetAsync(new StreamMsgGetRequest { LastBySubj = subject });
        using var json = System.Text.Json.JsonDocument.Parse(last.Message.Data);
        return json.RootElement.GetProperty("vmid").GetUInt32();
    }

    private NatsSink Sink(string stream, string prefix) => new(
        new NatsSinkOpts
        {
            Url = new BrokerUrl(nats.Host, nats.Port), Stream = stream, SubjectPrefix = prefix, PublishTimeout = TimeSpan.FromSeconds(10),
            Format = Payload.PayloadFormat.Json,
        },
        Node,
        NullLogger.Instance);
}
