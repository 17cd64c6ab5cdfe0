namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>The faults of the chaos campaign; each round of the schedule runs every kind once.</summary>
internal enum FaultKind
{
    /// <summary>Mosquitto killed with SIGKILL, then started again: it comes back with its last autosave, maybe stale.</summary>
    MqttKill,

    /// <summary>Mosquitto killed and replaced by an empty one: every retained message is gone.</summary>
    MqttWipe,

    /// <summary>nats-server killed with SIGKILL, then started again: JetStream recovers its store.</summary>
    NatsKill,

    /// <summary>nats-server killed and replaced by an empty one: the stream is gone and must be created again.</summary>
    NatsWipe,

    /// <summary>One or both brokers frozen for a few seconds (connections open, nothing answered), then thawed.</summary>
    BrokerPause,

    /// <summary>The daemon restarted with a changed roster and a new session id: in place, or gone for a while.</summary>
    DaemonRestart,

    /// <summary>The daemon drops the bridge's connection (same session): a fresh replay, with live events racing it.</summary>
    DaemonDrop,

    /// <summary>The bridge killed with SIGKILL; the roster changes while none runs; a new bridge is started.</summary>
    BridgeKill,

    /// <summary>Thousands of events as fast as the daemon can send them.</summary>
    Burst,

    /// <summary>A burst while one or both brokers are down (killed, or wiped).</summary>
    BurstDuringOutage,

    /// <summary>The daemon restarted with a changed roster while one or both brokers are frozen.</summary>
    DaemonRestartDuringPause,

    /// <summary>The bridge killed while a broker is down; the new bridge starts before the broker is back.</summary>
    BridgeKillDuringOutage,

    /// <summary>The bridge killed while a broker is frozen; the new bridge's connects time out until it thaws.</summary>
    BridgeKillDuringPause,

    /// <summary>The daemon restarted with a changed roster while one or both brokers are down (killed, or wiped).</summary>
    DaemonRestartDuringOutage,

    /// <summary>
    /// The bridge killed while a broker is frozen, a new one started, and the broker thawed right
    /// after the new bridge gave up on a connect to it (its backoff before the next attempt): the
    /// abandoned connect then completes at the broker, and the old connection's end arrives.
    /// </summary>
    ThawAtConnectTimeout,
}
