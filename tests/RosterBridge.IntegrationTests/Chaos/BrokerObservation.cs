using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>
/// What late subscribers get from both brokers at one moment: the node's roster on each, the
/// retained MQTT status and the answer to a NATS status request.
/// </summary>
internal sealed record BrokerObservation(RosterView Mqtt, RosterView Nats, string? MqttStatus, string NatsStatus)
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    public static async Task<BrokerObservation> ReadAsync(ChaosRig rig, CancellationToken cancellationToken = default)
    {
        var mqtt = await LateSubscriber.ReadMqttAsync(rig.Mosquitto.Url, rig.Node, cancellationToken);
        var nats = await LateSubscriber.ReadNatsAsync(rig.Nats.Url, rig.Node, cancellationToken: cancellationToken);
        var mqttStatus = await LateSubscriber.ReadMqttStatusAsync(rig.Mosquitto.Url, rig.Node, cancellationToken);
        return new BrokerObservation(mqtt, nats, mqttStatus, await AskNatsStatusAsync(rig, cancellationToken));
    }

    /// <summary>Why the brokers do not equal the daemon's roster (or the bridge does not say online), or null when they do.</summary>
    public string? Mismatch(ExpectedRoster expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var problems = new List<string>();
        if (expected.Mismatch(Mqtt) is { } mqtt)
        {
            problems.Add($"mqtt: {mqtt}");
        }

        if (expected.Mismatch(Nats) is { } nats)
        {
            problems.Add($"nats: {nats}");
        }

        if (MqttStatus != "online")
        {
            problems.Add($"mqtt status is {(MqttStatus is null ? "not retained" : $"'{MqttStatus}'")}, not 'online'");
        }

        if (NatsStatus != "online")
        {
            problems.Add($"nats status request: {NatsStatus}, not 'online'");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>Every endpoint where a broker differs from the daemon, one line each: the symptom of a failure.</summary>
    public string Differences(IReadOnlyList<RosterSlot?> daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        var text = new StringBuilder();
        foreach (var (name, view) in new[] { ("mqtt", Mqtt), ("nats", Nats) })
        {
            var lines = 0;
            for (var endpoint = 0; endpoint < daemon.Count; endpoint++)
            {
                var want = daemon[endpoint] is { } slot
                    ? string.Create(CultureInfo.InvariantCulture, $"vmid {slot.Vmid} '{slot.WireName}' state {slot.State}")
                    : "vacant";
                var held = view.Entries.TryGetValue(endpoint, out var entry) ? Describe(entry) : view.Deleted.Contains(endpoint) ? "vacant (DEL)" : "vacant";
                if (!SameSlot(want, held))
                {
                    text.Append(CultureInfo.InvariantCulture, $"  {name} endpoint {endpoint}: daemon {want}; broker {held}\n");
                    lines++;
                }
            }

            foreach (var stray in view.Entries.Keys.Where(endpoint => endpoint >= daemon.Count))
            {
                text.Append(CultureInfo.InvariantCulture, $"  {name} endpoint {stray}: not an endpoint; broker {Describe(view.Entries[stray])}\n");
                lines++;
            }

            if (lines == 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {name}: every endpoint equals the daemon's\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"  mqtt status: {MqttStatus ?? "(none retained)"}; nats status request: {NatsStatus}\n");
        return text.ToString();
    }

    private static bool SameSlot(string want, string held) =>
        want == "vacant" ? held.StartsWith("vacant", StringComparison.Ordinal) : held.StartsWith(want + " ", StringComparison.Ordinal);

    private static string Describe(JsonElement entry)
    {
        string Text(string key) => entry.TryGetProperty(key, out var value) ? value.ToString() : "?";
        return $"vmid {Text("vmid")} '{Text("name")}' state {Text("state_code")} (action {Text("action")}, seq {Text("seq")}, ts {Text("ts")})";
    }

    private static async Task<string> AskNatsStatusAsync(ChaosRig rig, CancellationToken cancellationToken)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = rig.Nats.Url.ToString(), RequestTimeout = StatusTimeout });
        try
        {
            var reply = await connection.RequestAsync<byte[], byte[]>(
                $"vmsig.{rig.Node}.bridge.status", [], replyOpts: new NatsSubOpts { Timeout = StatusTimeout }, cancellationToken: cancellationToken);
            return reply.Data is null ? "(empty reply)" : Encoding.UTF8.GetString(reply.Data);
        }
        catch (NatsNoRespondersException)
        {
            return "no responders";
        }
        catch (NatsException ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}"; // no reply in time, among others
        }
    }
}
