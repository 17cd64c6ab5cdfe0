namespace RosterBridge.Config;

/// <summary>A broker URL of one kind (<see cref="BrokerUrl.TryParse"/>), or <c>off</c>; with <see cref="List"/>, a comma-separated list of them (<see cref="BrokerUrl.TryParseList"/>).</summary>
internal sealed class BrokerUrlValueAttribute(string kind) : ConfigValueAttribute
{
    public const string Off = "off";

    public string Kind { get; } = kind;

    /// <summary>True where the client takes several servers (NATS), comma-separated.</summary>
    public bool List { get; init; }

    public static bool IsOff(string? text) => string.Equals(text?.Trim(), Off, StringComparison.OrdinalIgnoreCase);

    protected override string? Problem(object value)
    {
        var text = (string)value;
        if (IsOff(text))
        {
            return null;
        }

        if (!List)
        {
            return BrokerUrl.TryParse(text, Kind, out _) ? null : $"'{value}' is not {BrokerUrl.SchemesOf(Kind)}, or '{Off}'";
        }

        return BrokerUrl.TryParseList(text, Kind, out _, out var problem)
            ? null
            : text.Contains(',', StringComparison.Ordinal) ? $"'{value}' {problem}" : $"'{value}' is not {BrokerUrl.SchemesOf(Kind)} (or a comma-separated list of them), or '{Off}'";
    }
}
