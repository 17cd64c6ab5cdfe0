using MQTTnet;
using RosterBridge.Config;

namespace RosterBridge.Mqtt;

/// <summary>One MQTT connect with the bridge's settings and credentials, for <c>rosterbridge check</c>; publishes nothing.</summary>
internal static class MqttProbe
{
    /// <summary>Connects and disconnects; throws when the broker cannot be reached or refuses the connection.</summary>
    public static async Task ConnectOnceAsync(MqttSinkOpts opts, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        // Not the bridge's client id: a broker drops the older of two connections with one id,
        // and that would be the running bridge.
        using var trust = MqttConnect.Trust(opts, TimeProvider.System);
        var options = MqttConnect.Options(opts, $"rosterbridge-check-{Guid.NewGuid():N}", trust).WithTimeout(timeout);
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options.Build(), limit.Token).WaitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no CONNACK within {timeout.TotalSeconds:F0} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw MqttConnect.Explain(ex, opts, trust);
        }

        MqttConnect.ThrowIfRefused(result, opts);

        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
    }
}
