using System.Security.Authentication;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Tls;

namespace RosterBridge.Mqtt;

/// <summary>
/// How every MQTT client of the bridge connects (the sink, <c>show</c>, <c>check</c>): the server,
/// protocol, credentials and TLS from <see cref="MqttSinkOpts"/>; and what a failed connect means, in words.
/// </summary>
internal static class MqttConnect
{
    /// <summary>MQTTnet's name for the configured protocol.</summary>
    public static MqttProtocolVersion ProtocolVersion(MqttProtocol protocol) =>
        protocol == MqttProtocol.V311 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;

    /// <summary>The options every connect shares; <paramref name="trust"/> is this connect's TLS (null over plaintext).</summary>
    public static MqttClientOptionsBuilder Options(MqttSinkOpts opts, string clientId, TlsTrust? trust)
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(opts.Url.Host, opts.Url.Port)
            .WithProtocolVersion(ProtocolVersion(opts.Protocol))
            .WithClientId(clientId)
            .WithCleanStart(true);
        if (opts.Username is not null || opts.Password is not null)
        {
            options = options.WithCredentials(opts.Username, opts.Password?.Read());
        }

        if (trust is not null)
        {
            options = options.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(opts.Url.Host)
                    .WithCertificateValidationHandler(check => trust.Validate(opts.Url.Host, check.Certificate, check.SslPolicyErrors));
                if (trust.ClientCertificate is { } certificate)
                {
                    tls.WithClientCertificates([certificate]);
                }
            });
        }

        return options;
    }

    /// <summary>This connect's TLS, read from the files now; null for <c>mqtt://</c>.</summary>
    public static TlsTrust? Trust(MqttSinkOpts opts, TimeProvider time) =>
        opts.Url.Tls ? TlsTrust.Load(opts.Tls, "Mqtt", time) : null;

    /// <summary>Throws what a refused CONNACK means: credentials refused is a denial, anything else a failure.</summary>
    public static void ThrowIfRefused(MqttClientConnectResult result, MqttSinkOpts opts)
    {
        var target = opts.Url.ToString("mqtt");
        switch (result.ResultCode)
        {
            case MqttClientConnectResultCode.Success:
                return;
            case MqttClientConnectResultCode.BadUserNameOrPassword:
                throw new BrokerDeniedException($"{target} refused the credentials: bad user name or password (Mqtt:Username, Mqtt:Password/PasswordFile)");
            case MqttClientConnectResultCode.NotAuthorized:
                throw new BrokerDeniedException(
                    $"{target} refused the credentials: not authorized (user {opts.Username ?? "(none)"}; Mqtt:Username, Mqtt:Password/PasswordFile, or the client certificate)");
            default:
                throw new InvalidOperationException($"{target} refused the connection: {result.ResultCode} {result.ReasonString}");
        }
    }

    /// <summary>A failed connect in words: what the TLS check found, or what the transport failure most likely means.</summary>
    public static Exception Explain(Exception error, MqttSinkOpts opts, TlsTrust? trust)
    {
        var target = opts.Url.ToString("mqtt");
        if (error is BrokerDeniedException or TlsSetupException or OperationCanceledException)
        {
            return error;
        }

        if (trust?.Problem is { } problem)
        {
            return new BrokerDeniedException($"{target}: TLS refused: {problem}", error);
        }

        if (Within<System.Net.Sockets.SocketException>(error) is { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostUnreachable or System.Net.Sockets.SocketError.HostNotFound })
        {
            return error; // nothing listens there: no TLS question yet
        }

        if (opts.Url.Tls && Within<AuthenticationException>(error) is { } handshake)
        {
            return new IOException($"{target}: the TLS handshake failed ({handshake.Message}): is that port plaintext (mqtt://)?", error);
        }

        if (opts.Url.Tls && (Within<IOException>(error) is not null || Within<System.Net.Sockets.SocketException>(error) is not null || error is MqttCommunicationException))
        {
            return new IOException($"{target}: the connection ended in the TLS handshake ({error.Message}): is that port plaintext (mqtt://), or does the broker want a client certificate (Mqtt:CertFile)?", error);
        }

        if (!opts.Url.Tls && error is MqttCommunicationException)
        {
            return new IOException($"{target}: the broker closed the connection without answering CONNECT ({error.Message}): is that a TLS port (mqtts://)?", error);
        }

        return error;
    }

    private static T? Within<T>(Exception error)
        where T : Exception
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }
}
