using System.Globalization;
using RosterBridge.Roster;

namespace RosterBridge.Outbox;

/// <summary>
/// What a broker held for each endpoint when the sink last read it back: the body of the entry, or
/// nothing (no entry, or a delete). Lets a sink skip a publish that would change nothing, so a
/// reconnect or a sweep does not wake every subscriber for nothing. Where the broker numbers its
/// entries (JetStream), it also keeps each endpoint's last sequence, so that a publish can say which
/// entry it replaces and the broker refuses it when that is no longer the last one.
/// </summary>
internal sealed class BrokerSnapshot
{
    private readonly byte[]?[] _bodies = new byte[]?[RosterTable.SlotCount];
    private readonly ulong[] _sequences = new ulong[RosterTable.SlotCount];

    /// <summary>Entries found under the node's names that are no endpoint (e.g. <c>roster/99</c>).</summary>
    public List<string> Strays { get; } = [];

    public int Count => _bodies.Count(body => body is not null);

    public void Clear()
    {
        Array.Clear(_bodies);
        Array.Clear(_sequences);
        Strays.Clear();
    }

    /// <summary>Records what the broker holds under <paramref name="name"/>, whose last segment should be an endpoint.</summary>
    /// <param name="sequence">The entry's sequence where the broker has one (0: none).</param>
    public void Add(string name, string lastSegment, byte[]? body, ulong sequence = 0)
    {
        if (TryParseEndpoint(lastSegment, out var endpoint))
        {
            _bodies[endpoint] = body is { Length: > 0 } ? body : null;
            _sequences[endpoint] = sequence;
        }
        else if (body is { Length: > 0 })
        {
            Strays.Add(name);
        }
    }

    /// <summary>True when the broker already holds exactly <paramref name="body"/> (empty: nothing) for the endpoint.</summary>
    public bool Holds(int endpoint, ReadOnlySpan<byte> body) =>
        _bodies[endpoint] is { } held ? held.AsSpan().SequenceEqual(body) : body.IsEmpty;

    /// <summary>The sequence of the broker's last entry for the endpoint; 0 when it holds none.</summary>
    public ulong Sequence(int endpoint) => Volatile.Read(ref _sequences[endpoint]);

    /// <summary>The broker acknowledged a new entry for the endpoint.</summary>
    /// <remarks>Only the one publish in flight for an endpoint writes its place.</remarks>
    public void Replaced(int endpoint, ulong sequence) => Volatile.Write(ref _sequences[endpoint], sequence);

    /// <summary>"0".."63" exactly as the bridge writes them: no sign, no leading zeros.</summary>
    public static bool TryParseEndpoint(string text, out int endpoint) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out endpoint)
        && endpoint < RosterTable.SlotCount
        && text == endpoint.ToString(CultureInfo.InvariantCulture);
}
