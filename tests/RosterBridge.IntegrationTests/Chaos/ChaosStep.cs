using System.Globalization;
using System.Text;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>One fault of the campaign with everything the seed decided about it.</summary>
/// <param name="Index">The step's number in the campaign, from 1.</param>
/// <param name="Kind">What goes wrong.</param>
/// <param name="Brokers">The brokers hit, for kinds that hit brokers.</param>
/// <param name="Down">How long the broker, daemon or bridge stays down or frozen.</param>
/// <param name="Changes">Roster changes made while the fault lasts.</param>
/// <param name="Burst">Churn events emitted as fast as possible during the fault (0: none).</param>
/// <param name="After">Roster changes made at once when the fault ends, racing the recovery.</param>
/// <param name="Hold">Quiet time after convergence, after which the brokers must still equal the daemon.</param>
/// <param name="Wipe">For outages: the broker comes back empty instead of with its store.</param>
/// <param name="InPlace">For daemon restarts: restarted in place (no socket downtime) instead of replaced.</param>
/// <param name="RosterSeed">Seeds the changed roster of a daemon restart.</param>
internal sealed record ChaosStep(
    int Index,
    FaultKind Kind,
    BrokerSet Brokers,
    TimeSpan Down,
    int Changes,
    int Burst,
    int After,
    TimeSpan Hold,
    bool Wipe,
    bool InPlace,
    int RosterSeed)
{
    /// <summary>The fault's short name, e.g. <c>mqtt-kill</c>.</summary>
    public string Name => KindName(Kind);

    /// <summary>
    /// For <see cref="FaultKind.ThawAtConnectTimeout"/>: thaw after this many timed-out connects.
    /// The bridge's backoff doubles from 50 ms (up to 1 s) with each, so from the fourth on it
    /// waits long enough (200 ms and more) for the thaw to land before its next attempt.
    /// </summary>
    public int ThawAfterTimeouts => 4 + (RosterSeed % 3);

    /// <summary>The kind named <paramref name="name"/> as <see cref="KindName"/> names it.</summary>
    public static FaultKind ParseKind(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var kind in Enum.GetValues<FaultKind>())
        {
            if (KindName(kind) == name.Trim())
            {
                return kind;
            }
        }

        throw new ArgumentException($"'{name}' is no fault kind; the kinds: {string.Join(", ", Enum.GetValues<FaultKind>().Select(KindName))}", nameof(name));
    }

    public static string KindName(FaultKind kind) => kind switch
    {
        FaultKind.MqttKill => "mqtt-kill",
        FaultKind.MqttWipe => "mqtt-wipe",
        FaultKind.NatsKill => "nats-kill",
        FaultKind.NatsWipe => "nats-wipe",
        FaultKind.BrokerPause => "broker-pause",
        FaultKind.DaemonRestart => "daemon-restart",
        FaultKind.DaemonDrop => "daemon-drop",
        FaultKind.BridgeKill => "bridge-kill",
        FaultKind.Burst => "burst",
        FaultKind.BurstDuringOutage => "burst-during-outage",
        FaultKind.DaemonRestartDuringPause => "daemon-restart-during-pause",
        FaultKind.BridgeKillDuringOutage => "bridge-kill-during-outage",
        FaultKind.BridgeKillDuringPause => "bridge-kill-during-pause",
        FaultKind.DaemonRestartDuringOutage => "daemon-restart-during-outage",
        FaultKind.ThawAtConnectTimeout => "thaw-at-connect-timeout",
        _ => kind.ToString(),
    };

    public override string ToString()
    {
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"step {Index} {Name}");
        if (Kind is FaultKind.BrokerPause or FaultKind.BurstDuringOutage or FaultKind.DaemonRestartDuringPause or FaultKind.BridgeKillDuringOutage
            or FaultKind.BridgeKillDuringPause or FaultKind.DaemonRestartDuringOutage or FaultKind.ThawAtConnectTimeout)
        {
            text.Append(CultureInfo.InvariantCulture, $" brokers={Brokers.ToString().ToLowerInvariant().Replace(", ", "+", StringComparison.Ordinal)}");
        }

        if (Kind is FaultKind.BurstDuringOutage or FaultKind.BridgeKillDuringOutage or FaultKind.DaemonRestartDuringOutage)
        {
            text.Append(Wipe ? " wipe" : " kill");
        }

        if (Kind is FaultKind.DaemonRestart or FaultKind.DaemonRestartDuringPause or FaultKind.DaemonRestartDuringOutage)
        {
            text.Append(InPlace ? " in-place" : " replaced");
            text.Append(CultureInfo.InvariantCulture, $" roster-seed={RosterSeed}");
        }

        if (Kind is FaultKind.ThawAtConnectTimeout)
        {
            text.Append(CultureInfo.InvariantCulture, $" thaw-after-timeouts={ThawAfterTimeouts}");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $" down={Down.TotalSeconds:0.0}s");
        }

        text.Append(CultureInfo.InvariantCulture, $" changes={Changes}");
        if (Burst > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" burst={Burst}");
        }

        text.Append(CultureInfo.InvariantCulture, $" after={After} hold={Hold.TotalSeconds:0.0}s");
        return text.ToString();
    }
}
