using System.Net;

namespace RosterBridge.Config;

/// <summary>An IP address (IPv6 with or without brackets), <c>localhost</c>, or <c>*</c> / <c>+</c> for every address.</summary>
internal sealed class HealthAddressValueAttribute : ConfigValueAttribute
{
    protected override string? Problem(object value)
    {
        var text = (string)value;
        return text is "localhost" or "*" or "+" || IPAddress.TryParse(Unbracketed(text), out _)
            ? null
            : $"'{text}' is not an IP address, localhost or *";
    }

    /// <summary><c>[::1]</c> as <c>::1</c>; anything else as it is.</summary>
    public static string Unbracketed(string address) =>
        address.Length > 2 && address[0] == '[' && address[^1] == ']' ? address[1..^1] : address;
}
