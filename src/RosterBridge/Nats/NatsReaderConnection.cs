using NATS.Client.Core;
using RosterBridge.Config;
using RosterBridge.Tls;

namespace RosterBridge.Nats;

/// <summary>A connection of the bridge's readers (show, watch, check) with the sink's TLS and credentials, and the certificates it holds.</summary>
internal sealed class NatsReaderConnection : IAsyncDisposable
{
    private readonly TlsTrust _trust;

    private NatsReaderConnection(NatsConnection connection, TlsTrust trust)
    {
        Connection = connection;
        _trust = trust;
    }

    public NatsConnection Connection { get; }

    /// <summary>Connects as the sink would, or throws what the failure means (<see cref="NatsConnect.Explain"/>).</summary>
    public static async Task<NatsReaderConnection> OpenAsync(NatsSinkOpts opts, string name)
    {
        var trust = NatsConnect.Trust(opts, TimeProvider.System);
        var connection = new NatsConnection(NatsConnect.Options(opts, name, trust));
        try
        {
            await connection.ConnectAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await connection.DisposeAsync();
            trust.Dispose();
            throw NatsConnect.Explain(ex, opts, trust);
        }

        return new NatsReaderConnection(connection, trust);
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        _trust.Dispose();
    }
}
