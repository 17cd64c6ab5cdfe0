using System.Text;
using RosterBridge.Simulate;

// rosterbridge-sim: exit 0 on SIGTERM/SIGINT, 2 for a bad command line, 1 when it cannot listen or fails.
await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
try
{
    return await SimulateCommand.InvokeAsync(args, stdout, Console.Error, CancellationToken.None);
}
#pragma warning disable CA1031 // The last line of defence: one line and exit code 1, never a stack trace.
catch (Exception ex)
#pragma warning restore CA1031
{
    await Console.Error.WriteLineAsync($"{SimulateCommand.Name}: unexpected failure: {ex.GetType().Name}: {ex.Message}");
    return SimulateCommand.ExitFailure;
}
