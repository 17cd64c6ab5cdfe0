using MQTTnet;
using MQTTnet.Formatter;
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
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(opts.Url.Host, opts.Url.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId($"rosterbridge-check-{Guid.NewGuid():N}")
            .WithCleanStart(true)
            .WithTimeout(timeout);
        if (opts.Username is not null)
        {
            options = options.WithCredentials(opts.Username, opts.Password);
        }

        try
        {
            var result = await client.ConnectAsync(options.Build(), limit.Token).WaitAsync(limit.Token);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException($"the broker refused the connection: {result.ResultCode} {result.ReasonString}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no CONNACK within {timeout.TotalSeconds:F0} s");
        }

        await client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None);
    }
}
