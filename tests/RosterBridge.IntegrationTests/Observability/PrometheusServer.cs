using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RosterBridge.IntegrationTests.Brokers;

namespace RosterBridge.IntegrationTests.Observability;

/// <summary>
/// A real Prometheus server (Debian's prometheus package, on the host) scraping one target every
/// second; queried through its HTTP API as a dashboard or an alert rule would.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private PrometheusServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static PrometheusServer Start(string target)
    {
        var folder = Directory.CreateTempSubdirectory("rosterbridge-prometheus-").FullName;
        var config = Path.Combine(folder, "prometheus.yml");
        File.WriteAllText(config, $$"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: rosterbridge
                static_configs:
                  - targets: ["{{target}}"]

            """);
        var port = FreeTcpPort.Find();
        var start = new ProcessStartInfo("prometheus",
        [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PrometheusServer(process, folder, port);
    }

    /// <summary>An instant query's samples: each result's labels (without <c>__name__</c>) and value.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> QueryAsync(string query)
    {
        var body = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(query)}"));
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"query {query}: {body}");
        }

        return document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .Select(result => (
                (IReadOnlyDictionary<string, string>)result.GetProperty("metric").EnumerateObject()
                    .Where(label => label.Name != "__name__").ToDictionary(label => label.Name, label => label.Value.GetString() ?? string.Empty),
                double.Parse(result.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>Every metric name the server stores.</summary>
    public async Task<IReadOnlySet<string>> NamesAsync()
    {
        var body = await _http.GetStringAsync(new Uri($"http://127.0.0.1:{Port}/api/v1/label/__name__/values"));
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("data").EnumerateArray().Select(name => name.GetString()!).ToHashSet();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
