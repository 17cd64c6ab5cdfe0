namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>What discovery did, for logs and tests. Safe from any thread.</summary>
internal sealed class HomeAssistantCounters
{
    private long _births;
    private long _republishes;
    private long _published;
    private long _cleared;

    /// <summary>Birth messages (<c>online</c>, not retained) seen on the birth topic.</summary>
    public long Births => Interlocked.Read(ref _births);

    /// <summary>Times every config was published again for a birth.</summary>
    public long Republishes => Interlocked.Read(ref _republishes);

    /// <summary>Configs the broker acknowledged.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Configs cleared (an empty retained message) and acknowledged.</summary>
    public long Cleared => Interlocked.Read(ref _cleared);

    public void OnBirth() => Interlocked.Increment(ref _births);

    public void OnRepublish() => Interlocked.Increment(ref _republishes);

    public void OnPublished(bool cleared) => Interlocked.Increment(ref cleared ? ref _cleared : ref _published);
}
