namespace RosterBridge.Config;

/// <summary><c>SCHEME://HOST[:PORT]</c>, or <c>off</c>.</summary>
internal sealed class BrokerUrlValueAttribute(string scheme) : ConfigValueAttribute
{
    public const string Off = "off";

    public string Scheme { get; } = scheme;

    public static bool IsOff(string? text) => string.Equals(text?.Trim(), Off, StringComparison.OrdinalIgnoreCase);

    protected override string? Problem(object value) =>
        IsOff((string)value) || BrokerUrl.TryParse((string)value, Scheme, 0, out _)
            ? null
            : $"'{value}' is not {Scheme}://HOST:PORT or '{Off}'";
}
