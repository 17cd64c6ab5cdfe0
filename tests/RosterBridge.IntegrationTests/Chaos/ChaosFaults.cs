namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>Runs one step's fault against the rig; returns when the fault has ended (everything is back up).</summary>
internal static class ChaosFaults
{
    /// <param name="rig">What the fault hits.</param>
    /// <param name="step">The fault.</param>
    /// <param name="race">Make the step's <see cref="ChaosStep.After"/> changes as the fault ends.</param>
    public static async Task RunAsync(ChaosRig rig, ChaosStep step, bool race)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(step);
        switch (step.Kind)
        {
            case FaultKind.MqttKill or FaultKind.MqttWipe or FaultKind.NatsKill or FaultKind.NatsWipe:
                await rig.KillBrokersAsync(step.Brokers);
                await rig.TrickleAsync(step.Changes, step.Down);
                await rig.BringBackBrokersAsync(step.Brokers, step.Wipe);
                break;

            case FaultKind.BrokerPause:
                await rig.PauseBrokersAsync(step.Brokers);
                await rig.TrickleAsync(step.Changes, step.Down);
                await rig.UnpauseBrokersAsync(step.Brokers);
                break;

            case FaultKind.DaemonRestart:
                rig.Change(step.Changes); // just before the restart: the old session's last events
                await rig.RestartDaemonAsync(step.InPlace, step.Down, step.RosterSeed);
                break;

            case FaultKind.DaemonDrop:
                rig.Change(step.Changes);
                await rig.DropDaemonConnectionsAsync();
                break;

            case FaultKind.BridgeKill:
                await rig.KillBridgeAsync();
                await rig.TrickleAsync(step.Changes, step.Down); // changes no bridge sees live, vacated slots among them
                await rig.StartBridgeAsync();
                break;

            case FaultKind.Burst:
                rig.Burst(step.Burst);
                break;

            case FaultKind.BurstDuringOutage:
                await rig.KillBrokersAsync(step.Brokers);
                rig.Burst(step.Burst);
                await rig.TrickleAsync(step.Changes, step.Down);
                await rig.BringBackBrokersAsync(step.Brokers, step.Wipe);
                break;

            case FaultKind.DaemonRestartDuringPause:
                await rig.PauseBrokersAsync(step.Brokers);
                await rig.TrickleAsync(step.Changes, step.Down / 2);
                await rig.RestartDaemonAsync(step.InPlace, TimeSpan.Zero, step.RosterSeed);
                await rig.TrickleAsync(0, step.Down / 2);
                await rig.UnpauseBrokersAsync(step.Brokers);
                break;

            case FaultKind.BridgeKillDuringOutage:
                await rig.KillBrokersAsync(step.Brokers);
                await rig.KillBridgeAsync();
                await rig.TrickleAsync(step.Changes, step.Down / 2);
                await rig.StartBridgeAsync(); // it starts with a broker down
                await rig.TrickleAsync(0, step.Down / 2);
                await rig.BringBackBrokersAsync(step.Brokers, step.Wipe);
                break;

            case FaultKind.BridgeKillDuringPause:
                await rig.PauseBrokersAsync(step.Brokers);
                await rig.KillBridgeAsync(); // its connection's end reaches the broker only when it thaws
                await rig.TrickleAsync(step.Changes, step.Down / 2);
                await rig.StartBridgeAsync(); // its connects are accepted by the kernel, then time out
                await rig.TrickleAsync(0, step.Down / 2);
                await rig.UnpauseBrokersAsync(step.Brokers);
                break;

            case FaultKind.DaemonRestartDuringOutage:
                await rig.KillBrokersAsync(step.Brokers);
                await rig.TrickleAsync(step.Changes, step.Down / 2);
                await rig.RestartDaemonAsync(step.InPlace, TimeSpan.Zero, step.RosterSeed); // its SYNC while a sink reconnects
                await rig.TrickleAsync(0, step.Down / 2);
                await rig.BringBackBrokersAsync(step.Brokers, step.Wipe);
                break;

            case FaultKind.ThawAtConnectTimeout:
                await rig.PauseBrokersAsync(step.Brokers);
                await rig.KillBridgeAsync();
                rig.Change(step.Changes);
                await rig.StartBridgeAsync();
                await rig.WaitForConnectTimeoutsAsync(step.Brokers, step.ThawAfterTimeouts);
                await rig.UnpauseBrokersAsync(step.Brokers);
                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(step), step.Kind, "no such fault");
        }

        // Right as the fault ends, while the bridge reconnects, reads back and sweeps: live events
        // that share reads with a replay and SYNC, or race a session's first publishes.
        if (race)
        {
            rig.Change(step.After);
        }
    }
}
