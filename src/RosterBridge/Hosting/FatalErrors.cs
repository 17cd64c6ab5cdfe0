using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RosterBridge.Hosting;

/// <summary>What a service does with an error that ends the bridge: one log line, the exit code, and the host stopped.</summary>
internal sealed class FatalErrors(BridgeOutcome outcome, IHostApplicationLifetime lifetime, ILoggerFactory logging)
{
    private readonly ILogger _log = logging.CreateLogger("rosterbridge");

    /// <summary>An error the bridge expects and explains (a refusal, a broker set up wrong): its message, then why it stops.</summary>
    public void Stop(int exitCode, Exception error, string advice)
    {
        if (outcome.Fail(exitCode, error))
        {
            _log.LogCritical("{Problem}; stopping{Advice}", error.Message, advice);
        }

        lifetime.StopApplication();
    }

    /// <summary>Anything else: a bug or a broken installation. Exit code 1, which a supervisor may restart.</summary>
    public void Unexpected(string where, Exception error)
    {
        if (outcome.Fail(ExitCodes.Failure, error))
        {
            _log.LogCritical("unexpected failure in {Where}: {Type}: {Problem}; stopping", where, error.GetType().Name, error.Message);
            _log.LogDebug(error, "the unexpected failure in {Where}", where);
        }

        lifetime.StopApplication();
    }
}
