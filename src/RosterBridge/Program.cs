using System.Collections;
using RosterBridge.Cli;
using RosterBridge.Simulate;

using var shutdown = new Shutdown();
var environment = Environment.GetEnvironmentVariables()
    .Cast<DictionaryEntry>()
    .ToDictionary(entry => (string)entry.Key, entry => (string?)entry.Value);

var command = args.Length > 0 ? args[0] : "help";
var rest = args.Length > 0 ? args[1..] : [];
return command switch
{
    "run" => await RunCommand.RunAsync(rest, environment, shutdown.Token),
    "simulate" => await SimulateCommand.RunAsync(rest, shutdown.Token),
    "show" => await ShowCommand.RunAsync(rest, environment, shutdown.Token),
    "ready" => await ReadyCommand.RunAsync(rest, environment, shutdown.Token),
    "help" or "--help" or "-h" => Usage.Print(Console.Out, ExitCodes.Ok),
    "version" or "--version" => Usage.Version(),
    _ => Usage.Print(Console.Error, ExitCodes.BadConfig),
};
