namespace RosterBridge.IntegrationTests.Brokers;

/// <summary>
/// Mosquitto with persistence on, as a production broker runs: its retained messages are saved
/// to <c>/mosquitto/data</c> inside the container every <see cref="AutosaveSeconds"/> seconds and
/// at a clean stop. A broker killed with SIGKILL therefore comes back with what it saved last,
/// which may be older than what it had acknowledged.
/// </summary>
public sealed class PersistentMosquittoContainer : MosquittoContainer
{
    /// <summary>How often the broker saves its in-memory state.</summary>
    public const int AutosaveSeconds = 2;

    /// <summary>Makes the broker; nothing is started until <see cref="BrokerContainer.InitializeAsync"/>.</summary>
    public PersistentMosquittoContainer()
        : base($"""
            persistence true
            persistence_location /mosquitto/data/
            autosave_interval {AutosaveSeconds}
            """)
    {
    }
}
