using System.Diagnostics;
using Xunit;

namespace RosterBridge.IntegrationTests.Container;

/// <summary>
/// The bridge's image, built from the repository's Dockerfile as CI builds it: with local stand-ins
/// for its base images and no network (<c>scripts/build-test-images.sh --bridge</c>, idempotent).
/// <c>ROSTERBRIDGE_TEST_BRIDGE_IMAGE</c> names an image built elsewhere instead (e.g. with the real
/// base images, on an engine that can pull them).
/// </summary>
public sealed class BridgeImage : IAsyncLifetime
{
    public const string ImageVariable = "ROSTERBRIDGE_TEST_BRIDGE_IMAGE";

    /// <summary>A first build stages a gigabyte of SDK and compiles Native AOT in a container on two cores.</summary>
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(25);

    public string Tag { get; private set; } = string.Empty;

    /// <summary>The repository's root (where RosterBridge.sln is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "RosterBridge.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException($"no RosterBridge.sln above {AppContext.BaseDirectory}");
        }
    }

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(ImageVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            Tag = given;
            return;
        }

        // It prints the image's tag alone on stdout, and what it does on stderr.
        var (code, stdout, stderr) = await RunAsync("bash", [Path.Combine(RepositoryRoot, "scripts", "build-test-images.sh"), "--bridge"], BuildTimeout);
        if (code != 0)
        {
            throw new InvalidOperationException($"scripts/build-test-images.sh --bridge exited with {code}:\n{stdout}\n{stderr}");
        }

        Tag = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Runs a program to its end; its exit code and what it wrote.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not end within {timeout.TotalMinutes:0} min");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
