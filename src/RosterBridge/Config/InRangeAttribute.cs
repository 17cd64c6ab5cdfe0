using System.Globalization;

namespace RosterBridge.Config;

/// <summary>A whole number from <c>min</c> to <c>max</c>.</summary>
internal sealed class InRangeAttribute(int min, int max) : ConfigValueAttribute
{
    public int Min { get; } = min;

    public int Max { get; } = max;

    protected override string? Problem(object value) =>
        value is int number && number >= Min && number <= Max
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"'{value}' is not a whole number from {Min} to {Max}");
}
