using System.Diagnostics;
using System.Text.Json;

namespace RosterBridge.IntegrationTests.Support;

/// <summary>
/// nats.js (the npm package <c>nats</c>), a KV client written by other people than NATS.Net's, reading a
/// bucket as its users do (tests/RosterBridge.IntegrationTests/KvClient/read-bucket.mjs). Its packages
/// are installed once per test run with <c>npm ci</c> from the committed lock file, beside the tests.
/// </summary>
public static class NodeKvClient
{
    private static readonly SemaphoreSlim Installing = new(1, 1);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };
    private static bool _installed;

    /// <summary>One key as nats.js gives it: <c>PUT</c> with its value, or <c>DEL</c> / <c>PURGE</c>.</summary>
    public sealed record Entry(string Key, string Operation, ulong Revision, string? Value);

    /// <param name="Keys">What <c>kv.keys()</c> lists under the node (no deleted keys), each read with <c>kv.get()</c>.</param>
    /// <param name="Gets"><c>kv.get()</c> of each key asked for; null: the key was never written.</param>
    /// <param name="Watched">What a watcher of the node's keys gets first: the last entry of each key.</param>
    public sealed record Bucket(IReadOnlyDictionary<string, Entry> Keys, IReadOnlyDictionary<string, Entry?> Gets, IReadOnlyDictionary<string, Entry> Watched)
    {
        /// <summary>The roster as a KV user reads it: endpoint → value of each listed key, and the keys a watcher sees deleted.</summary>
        public RosterView View(string node)
        {
            var entries = new Dictionary<int, JsonElement>();
            foreach (var (key, entry) in Keys)
            {
                // A key under the node that is no endpoint (pve1.3.x) counts as endpoint -1: never expected.
                entries[Endpoint(node, key) ?? -1] = JsonDocument.Parse(entry.Value ?? "null").RootElement.Clone();
            }

            var deleted = Watched.Values.Where(entry => entry.Operation == "DEL").Select(entry => Endpoint(node, entry.Key))
                .OfType<int>().ToHashSet();
            return new RosterView(entries, deleted);
        }

        private static int? Endpoint(string node, string key) =>
            int.TryParse(key[(node.Length + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var endpoint)
                ? endpoint : null;
    }

    /// <summary>Reads <paramref name="node"/>'s keys of <paramref name="bucket"/>, and <c>kv.get()</c>s <paramref name="keys"/>.</summary>
    public static async Task<Bucket> ReadAsync(Uri server, string bucket, string node, params string[] keys)
    {
        ArgumentNullException.ThrowIfNull(server);
        var folder = await InstalledAsync();
        var (code, output, error) = await RunAsync("node", [Path.Combine(folder, "read-bucket.mjs"), server.ToString(), bucket, node, .. keys], folder, TimeSpan.FromSeconds(60));
        if (code != 0)
        {
            throw new InvalidOperationException($"nats.js exited with {code}: {error}");
        }

        return JsonSerializer.Deserialize<Bucket>(output, Json)
            ?? throw new InvalidOperationException($"nats.js printed {output}");
    }

    private static async Task<string> InstalledAsync()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "KvClient");
        await Installing.WaitAsync();
        try
        {
            if (!_installed)
            {
                var (code, output, error) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], folder, InstallTimeout);
                if (code != 0)
                {
                    throw new InvalidOperationException($"npm ci in {folder} exited with {code}: {output}{error}");
                }

                _installed = true;
            }

            return folder;
        }
        finally
        {
            Installing.Release();
        }
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string program, IReadOnlyList<string> args, string folder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not end within {timeout.TotalSeconds:F0} s");
        }

        return (process.ExitCode, await output, await error);
    }
}
