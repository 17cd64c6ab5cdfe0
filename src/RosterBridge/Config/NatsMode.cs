namespace RosterBridge.Config;

/// <summary>Where the NATS sink keeps the roster (<c>Nats:Mode</c>).</summary>
internal enum NatsMode
{
    /// <summary>A JetStream stream, one subject per endpoint (<c>Nats:Stream</c>).</summary>
    Stream,

    /// <summary>A KV bucket, one key per endpoint (<c>Nats:Bucket</c>).</summary>
    Kv,
}
