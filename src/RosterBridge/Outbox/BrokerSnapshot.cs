using System.Globalization;
using RosterBridge.Roster;

namespace RosterBridge.Outbox;

/// <summary>
/// What a broker held for each endpoint when the sink last read it back: the body of the entry, or
/// nothing (no entry, or a delete). Lets a sink skip a publish that would change nothing, so a
/// reconnect or a sweep does not wake every subscriber for nothing.
/// </summary>
internal sealed class BrokerSnapshot
{
    private readonly byte[]?[] _bodies = new byte[]?[RosterTable.SlotCount];

    /// <summary>Entries found under the node's names that are no endpoint (e.g. <c>roster/99</c>).</summary>
    public List<string> Strays { get; } = [];

    public int Count => _bodies.Count(body => body is not null);

    public void Clear()
    {
        Array.Clear(_bodies);
        Strays.Clear();
    }

    /// <summary>Records what the broker holds under <paramref name="name"/>, whose last segment should be an endpoint.</summary>
    public void Add(string name, string lastSegment, byte[]? body)
    {
        if (TryParseEndpoint(lastSegment, out var endpoint))
        {
            _bodies[endpoint] = body is { Length: > 0 } ? body : null;
        }
        else if (body is { Length: > 0 })
        {
            Strays.Add(name);
        }
    }

    /// <summary>True when the broker already holds exactly <paramref name="body"/> (empty: nothing) for the endpoint.</summary>
    public bool Holds(int endpoint, ReadOnlySpan<byte> body) =>
        _bodies[endpoint] is { } held ? held.AsSpan().SequenceEqual(body) : body.IsEmpty;

    /// <summary>"0".."63" exactly as the bridge writes them: no sign, no leading zeros.</summary>
    public static bool TryParseEndpoint(string text, out int endpoint) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out endpoint)
        && endpoint < RosterTable.SlotCount
        && text == endpoint.ToString(CultureInfo.InvariantCulture);
}
