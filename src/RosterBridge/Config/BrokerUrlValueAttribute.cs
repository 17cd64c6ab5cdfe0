namespace RosterBridge.Config;

/// <summary>A broker URL of one kind (<see cref="BrokerUrl.TryParse"/>), or <c>off</c>.</summary>
internal sealed class BrokerUrlValueAttribute(string kind) : ConfigValueAttribute
{
    public const string Off = "off";

    public string Kind { get; } = kind;

    public static bool IsOff(string? text) => string.Equals(text?.Trim(), Off, StringComparison.OrdinalIgnoreCase);

    protected override string? Problem(object value) =>
        IsOff((string)value) || BrokerUrl.TryParse((string)value, Kind, out _)
            ? null
            : $"'{value}' is not {BrokerUrl.SchemesOf(Kind)}, or '{Off}'";
}
