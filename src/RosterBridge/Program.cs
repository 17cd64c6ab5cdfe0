using System.Text;
using RosterBridge.Cli;
using RosterBridge.Hosting;

// Whatever fails unexpectedly ends the process with one line and exit code 1, never an abort
// (SIGABRT, a core dump and a stack trace): on a thread of its own too, which .NET would abort for.
AppDomain.CurrentDomain.UnhandledException += (_, failure) =>
{
    Unexpected(failure.ExceptionObject);
    Environment.Exit(ExitCodes.Failure);
};

await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
try
{
    return await Commands.InvokeAsync(Commands.Create(), args, stdout, Console.Error, CancellationToken.None);
}
#pragma warning disable CA1031 // The last line of defence: every exception the commands did not expect ends here.
catch (Exception ex)
#pragma warning restore CA1031
{
    Unexpected(ex);
    return ExitCodes.Failure;
}

static void Unexpected(object error) =>
    Console.Error.WriteLine(error is Exception ex
        ? $"rosterbridge: unexpected failure: {ex.GetType().Name}: {ex.Message}"
        : $"rosterbridge: unexpected failure: {error}");
