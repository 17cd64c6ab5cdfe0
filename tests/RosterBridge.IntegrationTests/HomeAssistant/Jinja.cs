using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RosterBridge.IntegrationTests.HomeAssistant;

/// <summary>
/// Renders templates with the real Jinja2 (Python), as Home Assistant renders an MQTT template:
/// <c>value</c> is the payload, <c>value_json</c> its JSON when it parses, the result stripped. The
/// environment is sandboxed like Home Assistant's and stricter: any undefined name or attribute is
/// an error (Home Assistant would log it and render nothing). scripts/test.sh installs Debian's
/// python3-jinja2.
/// </summary>
internal static class Jinja
{
    private const string Script = """
        import json, sys
        from jinja2 import StrictUndefined
        from jinja2.sandbox import ImmutableSandboxedEnvironment
        env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
        out = []
        for case in json.load(sys.stdin):
            variables = {"value": case["payload"]}
            try:
                variables["value_json"] = json.loads(case["payload"])
            except ValueError:
                pass
            try:
                out.append({"ok": env.from_string(case["template"]).render(**variables).strip()})
            except Exception as e:
                out.append({"error": type(e).__name__ + ": " + str(e)})
        json.dump(out, sys.stdout)
        """;

    private static readonly Lazy<string> Python = new(FindPython);

    /// <summary>Each template rendered against its payload: the text, or the error Jinja raised.</summary>
    public static async Task<IReadOnlyList<Rendered>> RenderAsync(IReadOnlyList<(string Template, string Payload)> cases)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var input = new JsonArray([.. cases.Select(c => (JsonNode)new JsonObject { ["template"] = c.Template, ["payload"] = c.Payload })]);
        var (exit, output, error) = await RunAsync(Python.Value, ["-c", Script], input.ToJsonString());
        if (exit != 0)
        {
            throw new InvalidOperationException($"jinja2 failed ({exit}): {error}");
        }

        return [.. JsonNode.Parse(output)!.AsArray().Select(item => new Rendered(item!["ok"]?.GetValue<string>(), item["error"]?.GetValue<string>()))];
    }

    public static async Task<Rendered> RenderAsync(string template, string payload) => (await RenderAsync([(template, payload)]))[0];

    private static string FindPython()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                if (RunAsync(candidate, ["-c", "import jinja2"], "").GetAwaiter().GetResult().Exit == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not there; try the next
            }
        }

        throw new InvalidOperationException("no python3 with jinja2 (Debian: apt-get install python3-jinja2; scripts/test.sh does)");
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string file, string[] args, string input)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>What a template gave: <see cref="Text"/>, or <see cref="Error"/> when rendering failed.</summary>
    public sealed record Rendered(string? Text, string? Error)
    {
        public override string ToString() => Error is null ? $"'{Text}'" : $"error: {Error}";

        /// <summary>The text as a JSON value; throws when the template failed or gave no JSON.</summary>
        public JsonNode? Json() => Text is null ? throw new InvalidOperationException(Error) : JsonNode.Parse(Text);
    }
}
