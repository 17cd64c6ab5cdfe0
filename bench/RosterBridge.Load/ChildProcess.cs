using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace RosterBridge.Load;

/// <summary>
/// A process this tool started (a broker or the bridge): its output goes line by line to a log file
/// and can be awaited for a line; it is stopped with SIGTERM, then SIGKILL. Every one still running
/// is killed when this process exits, whatever the way out (<see cref="KillAll"/>).
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int MaxKeptLines = 20_000;

    private static readonly ConcurrentDictionary<int, Process> Running = new();

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly Task _exited;
    private bool _logClosed;

    private ChildProcess(string name, Process process, StreamWriter log, long startedAt)
    {
        Name = name;
        _process = process;
        _log = log;
        StartedAt = startedAt;
        Id = process.Id;
        Running[Id] = process;
        process.OutputDataReceived += (_, line) => OnLine(line.Data);
        process.ErrorDataReceived += (_, line) => OnLine(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _exited = process.WaitForExitAsync();
    }

    public string Name { get; }

    public int Id { get; }

    /// <summary><see cref="Stopwatch"/> timestamp taken just before the process was started.</summary>
    public long StartedAt { get; }

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the process exits.</summary>
    public Task Exited => _exited;

    public static ChildProcess Start(string name, string file, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // no terminal input for children: Ctrl+C reaches this tool, which stops them in order
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        log.WriteLine($"# {file} {string.Join(' ', info.ArgumentList)}");
        var startedAt = Stopwatch.GetTimestamp();
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch
        {
            log.Dispose();
            throw;
        }

        return new ChildProcess(name, process, log, startedAt);
    }

    /// <summary>Kills every child still running; for the way out of this process, whatever it is.</summary>
    public static void KillAll()
    {
        foreach (var process in Running.Values)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
    }

    /// <summary>Waits for an output line that matches; fails when the process exits first or the time is up.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        TaskCompletionSource<string> found;
        lock (_gate)
        {
            foreach (var line in _lines)
            {
                if (match(line))
                {
                    return line;
                }
            }

            found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, found));
        }

        try
        {
            var first = await Task.WhenAny(found.Task, _exited).WaitAsync(timeout, cancellationToken);
            if (first == found.Task)
            {
                return await found.Task;
            }

            throw new LoadException($"{Name} exited (code {ExitCode}) before saying what was awaited; its last lines:\n{Tail(20)}");
        }
        catch (TimeoutException)
        {
            throw new LoadException($"{Name}: no awaited line within {timeout.TotalSeconds:F0} s; its last lines:\n{Tail(20)}");
        }
        finally
        {
            lock (_gate)
            {
                _waiters.RemoveAll(waiter => waiter.Found == found);
            }
        }
    }

    /// <summary>True when some output line so far matches.</summary>
    public bool Saw(Func<string, bool> match)
    {
        lock (_gate)
        {
            return _lines.Exists(line => match(line));
        }
    }

    public string Tail(int count)
    {
        lock (_gate)
        {
            return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - count)).Select(line => "    " + line));
        }
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>. Returns the exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            Signal("TERM");
            try
            {
                await _exited.WaitAsync(grace);
            }
            catch (TimeoutException)
            {
                Kill();
                await _exited.WaitAsync(TimeSpan.FromSeconds(10));
                return null;
            }
        }

        // The last lines may still be on their way from the output readers.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            try
            {
                await _exited.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                // nothing more to do: it was sent SIGKILL
            }
        }

        Running.TryRemove(Id, out _);
        lock (_gate)
        {
            _logClosed = true;
            _log.Dispose();
        }

        _process.Dispose();
    }

    private void Signal(string signal)
    {
        try
        {
            using var kill = Process.Start("kill", ["-" + signal, Id.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit(5000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Kill();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource<string>>? matched = null;
        lock (_gate)
        {
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }

            if (_lines.Count < MaxKeptLines)
            {
                _lines.Add(line);
            }

            foreach (var (match, found) in _waiters)
            {
                if (match(line))
                {
                    (matched ??= []).Add(found);
                }
            }
        }

        matched?.ForEach(found => found.TrySetResult(line));
    }
}
