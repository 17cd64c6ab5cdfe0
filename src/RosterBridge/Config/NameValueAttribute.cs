namespace RosterBridge.Config;

/// <summary>A name that goes into topics and subjects: 1 to 64 letters, digits, '-' and '_'.</summary>
internal sealed class NameValueAttribute : ConfigValueAttribute
{
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    protected override string? Problem(object value) =>
        IsValid((string)value) ? null : $"'{value}' may hold only letters, digits, '-' and '_', at most 64 (it goes into topics and subjects)";
}
