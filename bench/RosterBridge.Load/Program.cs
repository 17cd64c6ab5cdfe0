using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RosterBridge.Load;

/// <summary>
/// The end-to-end load command (scripts/load.sh builds everything and runs it). Exit codes: 0 every
/// bridge ran through (targets missed or not), 1 something broke, 2 bad usage, 130 interrupted.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length == 0 || args.Any(arg => arg is "--help" or "-h"))
        {
            await Console.Error.WriteLineAsync(LoadOptions.Usage);
            return args.Length == 0 ? 2 : 0;
        }

        if (!LoadOptions.TryParse(args, out var options, out var problem))
        {
            await Console.Error.WriteLineAsync($"RosterBridge.Load: {problem}\n{LoadOptions.Usage}");
            return 2;
        }

        // Whatever the way out, no broker or bridge is left behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ChildProcess.KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => ChildProcess.KillAll();
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // stop in order: the finally blocks below stop every process
            Log.Line($"{context.Signal}: stopping every process this run started");
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

        var workDir = Directory.CreateTempSubdirectory("rosterbridge-load-").FullName;
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var logDir = options.OutDir is null ? Path.Combine(workDir, "logs") : Path.Combine(options.OutDir, $"load-{stamp}-logs");
        Directory.CreateDirectory(logDir);
        var keepWork = false;
        try
        {
            if (options.FanIn is not null)
            {
                var fanIn = await FanInRun.RunAsync(options, workDir, logDir, stop.Token);
                var table = fanIn.Markdown();
                await Console.Out.WriteAsync(table);
                await Console.Out.FlushAsync();
                if (options.OutDir is not null)
                {
                    var baseName = Path.Combine(options.OutDir, $"fan-in-{stamp}");
                    await File.WriteAllTextAsync(baseName + ".md", table);
                    await File.WriteAllTextAsync(baseName + ".json", JsonSerializer.Serialize(fanIn, JsonOptions));
                    Log.Line($"wrote {baseName}.md, {baseName}.json and the processes' logs in {logDir}");
                }

                return 0;
            }

            var run = await LoadRun.RunAsync(options, workDir, logDir, stop.Token);
            var markdown = Report.Markdown(run);
            await Console.Out.WriteAsync(markdown);
            await Console.Out.FlushAsync();
            if (options.OutDir is not null)
            {
                var baseName = Path.Combine(options.OutDir, $"load-{stamp}");
                await File.WriteAllTextAsync(baseName + ".md", markdown);
                await File.WriteAllTextAsync(baseName + ".json", JsonSerializer.Serialize(run, JsonOptions));
                Log.Line($"wrote {baseName}.md, {baseName}.json and the processes' logs in {logDir}");
            }

            var broken = run.Configs.Where(config => config.Problems.Count > 0).ToList();
            if (broken.Count > 0)
            {
                Log.Line($"something broke in: {string.Join(", ", broken.Select(config => config.Label))} (see Problems)");
                keepWork = options.OutDir is null;
                return 1;
            }

            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Log.Line("interrupted");
            return 130;
        }
        catch (LoadException ex)
        {
            Log.Line($"FAILED: {ex.Message}");
            keepWork = options.OutDir is null;
            return 1;
        }
        finally
        {
            ChildProcess.KillAll(); // normally none is left: each was stopped by its owner
            if (keepWork)
            {
                Log.Line($"logs kept in {logDir}");
            }
            else
            {
                TryDelete(workDir);
            }
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
