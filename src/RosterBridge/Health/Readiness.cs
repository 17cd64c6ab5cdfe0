using System.Text;
using System.Text.Json;

namespace RosterBridge.Health;

/// <summary>What <c>/readyz</c> reports: ready, or the list of what is missing.</summary>
internal sealed record Readiness(bool DaemonSynced, IReadOnlyList<SinkReadiness> Sinks, BridgeCounters Counters)
{
    public bool IsReady => DaemonSynced && Sinks.All(sink => sink.Connected && sink.Pending == 0);

    public IEnumerable<string> Missing()
    {
        if (!DaemonSynced)
        {
            yield return "daemon: not synced";
        }

        foreach (var sink in Sinks)
        {
            if (!sink.Connected)
            {
                yield return sink.Problem is null ? $"{sink.Name}: not connected" : $"{sink.Name}: not connected: {sink.Problem}";
            }
            else if (sink.Pending > 0)
            {
                yield return $"{sink.Name}: {sink.Pending} endpoints not yet acknowledged";
            }
        }
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteBoolean("ready", IsReady);
            json.WriteStartArray("missing");
            foreach (var missing in Missing())
            {
                json.WriteStringValue(missing);
            }

            json.WriteEndArray();
            json.WriteStartObject("daemon");
            json.WriteBoolean("synced", DaemonSynced);
            json.WriteNumber("connections", Counters.DaemonConnections);
            json.WriteNumber("syncs", Counters.Syncs);
            json.WriteNumber("roster_events", Counters.RosterEvents);
            json.WriteNumber("skipped_events", Counters.SkippedEvents);
            json.WriteNumber("rejected_events", Counters.Rejected);
            json.WriteNumber("protocol_errors", Counters.ProtocolErrors);
            json.WriteEndObject();
            json.WriteStartObject("sinks");
            foreach (var sink in Sinks)
            {
                json.WriteStartObject(sink.Name);
                json.WriteBoolean("connected", sink.Connected);
                if (sink.Problem is not null)
                {
                    json.WriteString("problem", sink.Problem);
                    if (sink.ProblemKind is not null)
                    {
                        json.WriteString("problem_kind", sink.ProblemKind);
                    }
                }

                json.WriteNumber("pending", sink.Pending);
                json.WriteNumber("published", sink.Published);
                json.WriteNumber("failed_publishes", sink.FailedPublishes);
                json.WriteNumber("sent", sink.Sent);
                json.WriteNumber("sessions", sink.Sessions);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
