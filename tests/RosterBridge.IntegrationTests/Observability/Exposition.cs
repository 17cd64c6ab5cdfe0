using System.Diagnostics;
using System.Globalization;

namespace RosterBridge.IntegrationTests.Observability;

/// <summary>
/// One scrape of <c>/metrics</c> in the Prometheus text format: every sample by its series
/// (<c>rosterbridge_events_total{type="roster"}</c>, labels as the exporter wrote them) and every
/// metric's <c>TYPE</c>.
/// </summary>
internal sealed class Exposition
{
    private Exposition(string text, Dictionary<string, double> samples, Dictionary<string, string> types)
    {
        Text = text;
        Samples = samples;
        Types = types;
    }

    public string Text { get; }

    public IReadOnlyDictionary<string, double> Samples { get; }

    /// <summary>Metric name to its type (counter, gauge), from the <c># TYPE</c> lines.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>The names samples carry (what a Prometheus server stores).</summary>
    public IReadOnlySet<string> SampleNames => Samples.Keys.Select(series => series.Split('{')[0]).ToHashSet();

    public static async Task<Exposition> ScrapeAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "text/plain")
        {
            throw new InvalidOperationException($"/metrics answered {response.Content.Headers.ContentType}, not the Prometheus text format");
        }

        return Parse(text);
    }

    public static Exposition Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                types[parts[2]] = parts[3];
            }
            else if (!line.StartsWith('#'))
            {
                var space = line.LastIndexOf(' ');
                var series = line[..space];
                samples[Canonical(series)] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return new Exposition(text, samples, types);
    }

    /// <summary>The sample of a series, e.g. <c>Value("rosterbridge_publishes_total", ("sink", "mqtt"), ("result", "ok"))</c>; labels in any order.</summary>
    public double Value(string name, params (string Label, string Value)[] labels)
    {
        var series = Canonical($"{name}{{{string.Join(',', labels.Select(label => $"{label.Label}=\"{label.Value}\""))}}}");
        return Samples.TryGetValue(series, out var value)
            ? value
            : throw new Xunit.Sdk.XunitException($"no series {series} in the scrape:\n{Text}");
    }

    /// <summary>
    /// A series with its labels sorted, and "name{}" (as the exporter writes a metric without labels,
    /// and Prometheus reads it) as "name". Label values here hold no comma.
    /// </summary>
    private static string Canonical(string series)
    {
        var brace = series.IndexOf('{', StringComparison.Ordinal);
        if (brace < 0)
        {
            return series;
        }

        var labels = series[(brace + 1)..^1].Split(',', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        return labels.Count == 0 ? series[..brace] : $"{series[..brace]}{{{string.Join(',', labels)}}}";
    }

    /// <summary>
    /// <c>promtool check metrics</c> (Debian's prometheus package; scripts/test.sh installs it) on the
    /// text: the exit code and what it said (format errors and lint problems, such as a counter without
    /// <c>_total</c> or a unit it does not know).
    /// </summary>
    public async Task<(int ExitCode, string Output)> PromtoolAsync()
    {
        var start = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var promtool = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        await promtool.StandardInput.WriteAsync(Text);
        promtool.StandardInput.Close();
        var output = promtool.StandardOutput.ReadToEndAsync();
        var error = promtool.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await promtool.WaitForExitAsync(timeout.Token);
        return (promtool.ExitCode, (await output) + (await error));
    }
}
