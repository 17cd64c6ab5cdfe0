using System.Globalization;
using RosterBridge.Frames;

namespace RosterBridge.Simulate;

/// <summary>
/// Proposes roster changes from a seeded <see cref="Random"/>, against its own model of the roster
/// (no I/O, no clock: the same seed gives the same changes). The model assumes every proposal is
/// applied; when the daemon refuses one (someone else changed the roster), <see cref="Resync"/> it
/// from <see cref="SimulatedDaemon.Snapshot"/>.
/// </summary>
internal sealed class LifecycleGenerator
{
    public const uint FirstVmid = 100;

    /// <summary>Short names: role, then a number per role.</summary>
    private static readonly string[] Roles =
    [
        "web", "api", "db", "cache", "queue", "worker", "search", "auth", "mail", "proxy",
        "build", "ci-runner", "monitor", "logs", "backup", "vpn", "dns", "git",
    ];

    /// <summary>Names with a fixed meaning, used once each before falling back to numbered ones.</summary>
    private static readonly string[] Singletons =
    [
        "db-primary", "db-replica", "lb-front", "bastion", "grafana", "prometheus", "vault", "ldap",
    ];

    /// <summary>Stems of names longer than the datum's 31 bytes; several cut a multi-byte UTF-8 sequence.</summary>
    private static readonly string[] LongStems =
    [
        "analytics-warehouse-etl-worker",  // ASCII, cut cleanly
        "kubernetes-control-plane-node",   // ASCII
        "本番データベースサーバー",          // Japanese: 36 bytes, cut inside a character
        "ステージング環境アプリケーション",  // Japanese
        "serveur-de-fichiers-métropolitain", // French
        "сервер-базы-данных",              // Russian: 2-byte letters, cut inside one
        "entwicklungsumgebung-größe-über", // German
        "Ünïcödé-büïld-sërvër-ñümérö",     // accents everywhere
    ];

    /// <summary>Short multi-byte names that fit (no truncation), so UTF-8 is not only seen cut.</summary>
    private static readonly string[] ShortUnicodeStems = ["ウェブ東京", "café-pos", "mañana-batch", "αθήνα-web"];

    // Steady transitions: (from) → weighted (to). DetachState means "detach the VM instead".
    private const uint DetachState = uint.MaxValue;

    private static readonly (uint To, int Weight)[][] Transitions =
    [
        /* unknown   */ [(VmState.Stopped, 1)],
        /* stopped   */ [(VmState.Starting, 7), (DetachState, 3)],
        /* starting  */ [(VmState.Running, 92), (VmState.Crashed, 8)],
        /* running   */ [(VmState.Paused, 20), (VmState.Migrating, 20), (VmState.Stopping, 30), (VmState.Suspended, 15), (VmState.Crashed, 5)],
        /* paused    */ [(VmState.Running, 8), (VmState.Stopping, 2)],
        /* suspended */ [(VmState.Running, 6), (VmState.Stopped, 4)],
        /* stopping  */ [(VmState.Stopped, 95), (VmState.Crashed, 5)],
        /* migrating */ [(VmState.Running, 9), (VmState.Crashed, 1)],
        /* crashed   */ [(VmState.Stopped, 5), (VmState.Starting, 3), (DetachState, 2)],
    ];

    private readonly Random _random;
    private readonly int _targetVms;
    private readonly ModelSlot[] _slots = new ModelSlot[VmsigWire.EndpointCount];
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inUse = new(StringComparer.Ordinal);
    private string[]? _churnNames;
    private int _nextSingleton;
    private uint _nextVmid = FirstVmid;
    private int _occupied;

    public LifecycleGenerator(int seed, int targetVms = 12)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(targetVms);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVms, VmsigWire.EndpointCount);
        _random = new Random(seed);
        _targetVms = targetVms;
    }

    /// <summary>How many slots the model holds occupied.</summary>
    public int Occupied => _occupied;

    /// <summary>Whether the (from → to) UPDATE is one the steady mode can produce.</summary>
    public static bool IsSteadyTransition(uint from, uint to) =>
        from < Transitions.Length && Array.Exists(Transitions[from], t => t.To == to);

    /// <summary>Replaces the model by the daemon's roster (indexed by endpoint).</summary>
    public void Resync(IReadOnlyList<RosterSlot?> roster)
    {
        ArgumentNullException.ThrowIfNull(roster);
        Array.Clear(_slots);
        _inUse.Clear();
        _occupied = 0;
        for (var i = 0; i < Math.Min(roster.Count, _slots.Length); i++)
        {
            if (roster[i] is { } slot)
            {
                _slots[i] = new ModelSlot(true, slot.Vmid, slot.State, slot.Name);
                _inUse.Add(slot.Name);
                _occupied++;
                _nextVmid = Math.Max(_nextVmid, slot.Vmid + 1);
            }
        }
    }

    /// <summary>ATTACHes that populate a roster with <paramref name="count"/> VMs, mostly running, in random free slots.</summary>
    public List<SimChange> InitialRoster(int count)
    {
        var changes = new List<SimChange>();
        for (var i = 0; i < count && _occupied < _slots.Length; i++)
        {
            var state = Pick([(VmState.Running, 8), (VmState.Stopped, 1), (VmState.Paused, 1)]);
            changes.Add(AttachNew(state));
        }

        return changes;
    }

    /// <summary>The next realistic change: lifecycle transitions, attaches, detaches, renames, some MEMCTX noise.</summary>
    public SimChange Next()
    {
        var free = _slots.Length - _occupied;
        if (_occupied == 0)
        {
            return AttachNew(VmState.Stopped);
        }

        var roll = _random.NextDouble();
        var attachChance = _occupied < _targetVms ? 0.15 : 0.02;
        if (free > 0 && roll < attachChance)
        {
            // A new VM is defined (stopped, then it boots) or migrates in (running).
            return AttachNew(_random.Next(4) == 0 ? VmState.Running : VmState.Stopped);
        }

        roll = _random.NextDouble();
        if (roll < 0.05)
        {
            return new SimChange(SimChangeKind.MemCtx, RandomSlot(occupied: true), 0, 0, null);
        }

        if (roll < 0.08)
        {
            return Rename(RandomSlot(occupied: true));
        }

        var endpoint = RandomSlot(occupied: true);
        ref var slot = ref _slots[endpoint];
        var from = slot.State < Transitions.Length ? slot.State : VmState.Unknown;
        var to = Pick(Transitions[from]);
        if (to == DetachState && _occupied <= _targetVms / 2 && _random.Next(3) != 0)
        {
            to = from == VmState.Stopped ? VmState.Starting : VmState.Stopped; // keep the roster populated
        }

        if (to == DetachState)
        {
            return DetachModel(endpoint);
        }

        slot.State = to;
        return new SimChange(SimChangeKind.Update, endpoint, slot.Vmid, to, null);
    }

    /// <summary>Burst mode: random ATTACH/UPDATE/DETACH over all 64 slots, any state, no allocation per change.</summary>
    public SimChange NextChurn()
    {
        var names = _churnNames ??= BuildChurnNames();
        var endpoint = _random.Next(_slots.Length);
        ref var slot = ref _slots[endpoint];
        if (!slot.Occupied)
        {
            var name = names[_random.Next(names.Length)];
            var state = (uint)_random.Next(1, (int)VmState.Count);
            slot = new ModelSlot(true, _nextVmid++, state, name);
            _occupied++;
            return new SimChange(SimChangeKind.Attach, endpoint, slot.Vmid, state, name);
        }

        var roll = _random.Next(10);
        if (roll < 4)
        {
            var vmid = slot.Vmid;
            slot = default;
            _occupied--;
            return new SimChange(SimChangeKind.Detach, endpoint, vmid, 0, null);
        }

        slot.State = (uint)_random.Next((int)VmState.Count);
        string? rename = null;
        if (roll == 9)
        {
            rename = names[_random.Next(names.Length)];
            slot.Name = rename;
        }

        return new SimChange(SimChangeKind.Update, endpoint, slot.Vmid, slot.State, rename);
    }

    private SimChange AttachNew(uint state)
    {
        var endpoint = RandomSlot(occupied: false);
        var name = NewName();
        _slots[endpoint] = new ModelSlot(true, _nextVmid++, state, name);
        _inUse.Add(name);
        _occupied++;
        return new SimChange(SimChangeKind.Attach, endpoint, _slots[endpoint].Vmid, state, name);
    }

    private SimChange DetachModel(int endpoint)
    {
        var slot = _slots[endpoint];
        _inUse.Remove(slot.Name ?? string.Empty);
        _slots[endpoint] = default;
        _occupied--;
        return new SimChange(SimChangeKind.Detach, endpoint, slot.Vmid, slot.State, null);
    }

    private SimChange Rename(int endpoint)
    {
        ref var slot = ref _slots[endpoint];
        var name = NewName();
        _inUse.Remove(slot.Name ?? string.Empty);
        _inUse.Add(name);
        slot.Name = name;
        return new SimChange(SimChangeKind.Update, endpoint, slot.Vmid, slot.State, name);
    }

    private string NewName()
    {
        var kind = _random.Next(100);
        if (kind < 10 && _nextSingleton < Singletons.Length)
        {
            return Singletons[_nextSingleton++];
        }

        var stem = kind switch
        {
            < 70 => Roles[_random.Next(Roles.Length)],
            < 85 => LongStems[_random.Next(LongStems.Length)],
            _ => ShortUnicodeStems[_random.Next(ShortUnicodeStems.Length)],
        };

        while (true)
        {
            var number = _counters.GetValueOrDefault(stem) + 1;
            _counters[stem] = number;
            var name = string.Create(CultureInfo.InvariantCulture, $"{stem}-{number:00}");
            if (!_inUse.Contains(name))
            {
                return name;
            }
        }
    }

    private string[] BuildChurnNames()
    {
        var names = new string[128];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = NewName();
        }

        return names;
    }

    private int RandomSlot(bool occupied)
    {
        var count = occupied ? _occupied : _slots.Length - _occupied;
        var nth = _random.Next(count);
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].Occupied == occupied && nth-- == 0)
            {
                return i;
            }
        }

        throw new InvalidOperationException("the model's occupancy count is inconsistent");
    }

    private uint Pick(ReadOnlySpan<(uint To, int Weight)> choices)
    {
        var total = 0;
        foreach (var choice in choices)
        {
            total += choice.Weight;
        }

        var roll = _random.Next(total);
        foreach (var choice in choices)
        {
            roll -= choice.Weight;
            if (roll < 0)
            {
                return choice.To;
            }
        }

        return choices[^1].To;
    }
}
