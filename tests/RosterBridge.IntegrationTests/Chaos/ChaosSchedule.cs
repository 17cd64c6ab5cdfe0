namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>
/// The campaign's faults, decided by one seeded <see cref="Random"/> and nothing else (no clock,
/// no I/O): the same seed gives the same steps in the same order. Steps come in rounds; each
/// round runs every <see cref="FaultKind"/> once, in a shuffled order, so that even a short
/// campaign of one round meets every fault.
/// </summary>
internal sealed class ChaosSchedule
{
    private readonly FaultKind[] _kinds;
    private readonly Random _random;
    private readonly Queue<FaultKind> _round = new();
    private int _index;

    /// <param name="seed">Decides everything.</param>
    /// <param name="kinds">The kinds of the rounds; every kind when null or empty.</param>
    public ChaosSchedule(int seed, IReadOnlyCollection<FaultKind>? kinds = null)
    {
        _random = new Random(seed);
        _kinds = kinds is { Count: > 0 } ? [.. kinds.Distinct().Order()] : Enum.GetValues<FaultKind>();
    }

    /// <summary>How many kinds one round has.</summary>
    public int RoundLength => _kinds.Length;

    /// <summary>Steps handed out so far.</summary>
    public int Count => _index;

    public ChaosStep Next()
    {
        if (_round.Count == 0)
        {
            var order = (FaultKind[])_kinds.Clone();
            _random.Shuffle(order);
            foreach (var next in order)
            {
                _round.Enqueue(next);
            }
        }

        var kind = _round.Dequeue();
        _index++;

        // Every draw is made for every kind, in the same order, so that one kind's parameters never
        // shift the next step's.
        var brokers = (BrokerSet)_random.Next(1, 4);
        var downMs = _random.Next(300, 3500);
        var pauseMs = _random.Next(1000, 7000); // around the bridge's 2 s publish and connect limits, both sides
        var changes = _random.Next(0, 41);
        var burst = _random.Next(1000, 20_001);
        var after = _random.Next(0, 16);
        var holdMs = _random.Next(500, 2000);
        var wipe = _random.Next(2) == 0;
        var inPlace = _random.Next(2) == 0;
        var rosterSeed = _random.Next();

        var paused = kind is FaultKind.BrokerPause or FaultKind.DaemonRestartDuringPause or FaultKind.BridgeKillDuringPause;
        return new ChaosStep(
            _index,
            kind,
            kind switch
            {
                FaultKind.MqttKill or FaultKind.MqttWipe => BrokerSet.Mqtt,
                FaultKind.NatsKill or FaultKind.NatsWipe => BrokerSet.Nats,
                _ => brokers,
            },
            TimeSpan.FromMilliseconds(paused ? pauseMs : downMs),
            kind is FaultKind.Burst ? 0 : changes,
            kind is FaultKind.Burst or FaultKind.BurstDuringOutage ? burst : 0,
            after,
            TimeSpan.FromMilliseconds(holdMs),
            kind is FaultKind.MqttWipe or FaultKind.NatsWipe
                || (wipe && kind is FaultKind.BurstDuringOutage or FaultKind.BridgeKillDuringOutage or FaultKind.DaemonRestartDuringOutage),
            kind is FaultKind.DaemonRestart or FaultKind.DaemonRestartDuringPause or FaultKind.DaemonRestartDuringOutage && inPlace,
            rosterSeed);
    }
}
