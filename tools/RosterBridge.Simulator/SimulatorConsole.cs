namespace RosterBridge.Simulate;

/// <summary>The simulator's output: lines from any thread, buffered, flushed when the caller says so.</summary>
internal sealed class SimulatorConsole
{
    private readonly Lock _gate = new();
    private readonly TextWriter _writer;

    public SimulatorConsole(TextWriter writer) => _writer = writer;

    public void Line(string line)
    {
        lock (_gate)
        {
            _writer.WriteLine(line);
        }
    }

    /// <summary>A line that should show at once (connections, errors), not with the next batch.</summary>
    public void LineNow(string line)
    {
        lock (_gate)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            _writer.Flush();
        }
    }
}
