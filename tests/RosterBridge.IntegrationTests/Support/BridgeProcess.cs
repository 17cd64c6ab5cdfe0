using System.Diagnostics;
using System.Text;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>
/// <c>rosterbridge</c> as its own process (the build beside the tests, run with <c>dotnet</c>), with
/// an environment holding no <c>ROSTERBRIDGE_</c> variable but the ones a test gives it.
/// </summary>
public sealed class BridgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BridgeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="dll">Another build of the bridge than the one beside the tests.</param>
    public static BridgeProcess Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string? dll = null) =>
        Start("dotnet", [dll ?? Path.Combine(AppContext.BaseDirectory, "RosterBridge.dll"), .. args], environment);

    /// <summary>
    /// The bridge started by <c>sh -c SCRIPT</c>, for what only the process's own shell can set up (an
    /// environment naming its own stdout); the script ends with <c>exec dotnet "$0" "$@"</c> and gets the
    /// bridge's dll and <paramref name="args"/> as its arguments.
    /// </summary>
    public static BridgeProcess StartThroughShell(string script, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment) =>
        Start("sh", ["-c", script, Path.Combine(AppContext.BaseDirectory, "RosterBridge.dll"), .. args], environment);

    private static BridgeProcess Start(string program, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in start.Environment.Keys.Where(name => name.StartsWith("ROSTERBRIDGE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new BridgeProcess(Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start"));
    }

    /// <summary>Sends SIGTERM, as systemd and docker stop do.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Sends SIGKILL: the process ends at once, without any of its shutdown.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"rosterbridge did not exit within {timeout.TotalSeconds:F0} s; its output:\n{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
