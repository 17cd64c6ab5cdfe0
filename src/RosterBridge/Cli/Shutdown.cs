using System.Runtime.InteropServices;

namespace RosterBridge.Cli;

/// <summary>A token cancelled on Ctrl+C, SIGTERM (systemd, docker stop) or SIGQUIT.</summary>
internal sealed class Shutdown : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    public Shutdown()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal),
        ];
    }

    public CancellationToken Token => _stop.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The process stops on its own terms, after saying offline, rather than at once.
        context.Cancel = true;
        _stop.Cancel();
    }
}
