namespace RosterBridge.Config;

/// <summary>One of the given words, in any case; the first of each spelling is what help and messages show.</summary>
internal sealed class OneOfAttribute(params string[] words) : ConfigValueAttribute
{
    public IReadOnlyList<string> Words { get; } = words;

    protected override string? Problem(object value) =>
        Words.Contains((string)value, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"'{value}' is not {string.Join(" or ", Words.Select(word => $"'{word}'"))}";
}
