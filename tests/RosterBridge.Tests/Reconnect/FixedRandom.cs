namespace RosterBridge.Tests.Reconnect;

/// <summary>A <see cref="Random"/> whose NextDouble returns a chosen value, to pin the jitter.</summary>
internal sealed class FixedRandom(double value) : Random
{
    public double Value { get; set; } = value;

    public override double NextDouble() => Value;

    protected override double Sample() => Value;
}
