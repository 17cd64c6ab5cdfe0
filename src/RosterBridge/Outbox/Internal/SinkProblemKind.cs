using System.Security.Authentication;
using RosterBridge.Tls;

namespace RosterBridge.Outbox.Internal;

/// <summary>
/// Sorts a sink's failure into a <see cref="SinkProblem"/> kind. The sinks already say a denial
/// apart from a lost connection (<see cref="BrokerDeniedException"/>, a session's denial) and word
/// each cause the same way (Mqtt/MqttConnect.cs, Nats/NatsConnect.cs); this reads those words once,
/// here, so that the sinks need no second vocabulary.
/// </summary>
internal static class SinkProblemKind
{
    public static string Of(Exception error, bool sessionDenied, bool connecting)
    {
        if (sessionDenied)
        {
            return SinkProblem.Denied;
        }

        if (error is BrokerDeniedException denied)
        {
            return IsTls(denied) ? SinkProblem.Tls
                : denied.Message.Contains("refused the credentials", StringComparison.Ordinal) || denied.Message.Contains("NKeyFile", StringComparison.Ordinal) ? SinkProblem.Auth
                : SinkProblem.Denied;
        }

        if (IsTls(error))
        {
            return SinkProblem.Tls;
        }

        return connecting ? SinkProblem.Unreachable : SinkProblem.Lost;
    }

    private static bool IsTls(Exception error)
    {
        for (Exception? ex = error; ex is not null; ex = ex.InnerException)
        {
            if (ex is TlsSetupException or AuthenticationException
                || ex.Message.Contains("TLS", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
