namespace RosterBridge.Config;

/// <summary>
/// The first levels of MQTT topics: levels of letters, digits, '-' and '_', separated by '/', at
/// most 128 characters; no wildcard, no empty level.
/// </summary>
internal sealed class TopicPrefixValueAttribute : ConfigValueAttribute
{
    public static bool IsValid(string prefix) =>
        prefix.Length <= 128 && prefix.Split('/').All(level => level.Length > 0 && level.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));

    protected override string? Problem(object value) =>
        IsValid((string)value) ? null : $"'{value}' is no topic prefix: levels of letters, digits, '-' and '_' separated by '/', at most 128 characters";
}
