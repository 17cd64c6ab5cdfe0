using System.Diagnostics;
using System.Globalization;
using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using Xunit;
using Xunit.Abstractions;

namespace RosterBridge.IntegrationTests.Chaos;

/// <summary>
/// A randomized fault campaign against real brokers and <c>rosterbridge run</c> as its own process:
/// a seeded schedule of broker kills, wipes and pauses, daemon restarts and drops, bridge SIGKILLs
/// and bursts, alone and combined. After each fault, both brokers must come to equal the daemon's
/// roster (and the bridge must say online), then still equal it after a quiet period. The seed,
/// the faults survived, the recovery times and every failure (with the seed that reproduces it)
/// go to the test output and to <see cref="ChaosSettings.SummaryPath"/>. Settings: <see cref="ChaosSettings"/>.
/// </summary>
public sealed class ChaosCampaignTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan NudgeConverge = TimeSpan.FromSeconds(10);

    private readonly Lock _logGate = new();
    private ChaosSettings _settings = null!;

    [Fact]
    public async Task Both_brokers_equal_the_daemon_after_every_fault_of_a_seeded_schedule()
    {
        _settings = ChaosSettings.FromEnvironment();
        File.Delete(_settings.SummaryPath);
        File.WriteAllText(_settings.ProgressPath, string.Empty);
        var seed = _settings.Seed;
        var schedule = new ChaosSchedule(seed, _settings.Kinds);
        Log($"chaos campaign: seed {seed}, at least {_settings.Duration.TotalSeconds:F0} s and one round of {schedule.RoundLength} faults, "
            + $"{(_settings.KeepGoing ? "going on after a failure" : "stopping at the first failure")}{(_settings.Race ? string.Empty : ", no changes as faults end")}; output in {_settings.Directory}");

        await using var mosquitto = new PersistentMosquittoContainer();
        await using var nats = new NatsContainer();
        await Task.WhenAll(mosquitto.InitializeAsync(), nats.InitializeAsync());

        var report = new ChaosReport(_settings);
        var elapsed = Stopwatch.StartNew();
        await using var rig = new ChaosRig(mosquitto, nats, seed, line => Log($"daemon: {line}"));
        await rig.StartAsync();
        if (await CheckAsync(rig, null, Stopwatch.GetTimestamp(), TimeSpan.Zero) is { Failure: { } startFailure })
        {
            report.Failed(null, startFailure);
        }
        else
        {
            while (schedule.Count < schedule.RoundLength || elapsed.Elapsed < _settings.Duration)
            {
                var step = schedule.Next();
                Log(step.ToString());
                try
                {
                    await ChaosFaults.RunAsync(rig, step, _settings.Race);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // The campaign's own machinery broke (a container that would not start): not the bridge's failure.
                    report.Failed(step, $"the campaign could not run the fault (a harness error, not a bridge failure): {ex}");
                    break;
                }

                var (recovery, failure) = await CheckAsync(rig, step, Stopwatch.GetTimestamp(), step.Hold);
                if (failure is null)
                {
                    Log(string.Create(CultureInfo.InvariantCulture, $"  converged {recovery.TotalSeconds:F2} s after the fault ended; still equal after a quiet {step.Hold.TotalSeconds:F1} s"));
                    report.Survived(step, recovery);
                    continue;
                }

                // Tells apart a bridge that holds events back until more data comes from one that lost them.
                var nudged = await NudgeAsync(rig, step);
                failure += $"\n{nudged.Note}";
                Log($"  FAILED (seed {seed}, {step}): {failure}");
                report.Failed(step, failure);
                if (!_settings.KeepGoing || (!nudged.Converged && !await HealAsync(rig, step, report)))
                {
                    break;
                }
            }
        }

        var summary = report.Summary(elapsed.Elapsed, rig);
        File.WriteAllText(_settings.SummaryPath, summary);
        Log(summary);
        Assert.True(report.Failures.Count == 0, $"chaos campaign with seed {seed} failed; reproduce with {ChaosSettings.SeedVariable}={seed}\n{summary}");
    }

    /// <summary>
    /// Waits (bounded) until both brokers equal the daemon's roster, then holds quiet and checks
    /// again. Returns the time from <paramref name="faultEnded"/> to convergence, or why it failed.
    /// </summary>
    private async Task<(TimeSpan Recovery, string? Failure)> CheckAsync(ChaosRig rig, ChaosStep? step, long faultEnded, TimeSpan hold, TimeSpan? within = null)
    {
        var bound = within ?? Converge;
        // Nothing changes the daemon's roster until the next step, so this snapshot is the truth
        // for every read below, however long the bridge takes.
        var daemon = rig.Daemon.Snapshot();
        var expected = ExpectedRoster.From(rig.Node, daemon);
        BrokerObservation? last = null;
        try
        {
            await Retry.Until(
                async () => rig.Bridge is not { HasExited: false } || (last = await BrokerObservation.ReadAsync(rig)).Mismatch(expected) is null,
                bound,
                "both brokers equal the daemon's roster and the bridge says online");
        }
        catch (TimeoutException ex)
        {
            return (default, await FailureAsync(rig, step, $"not converged within {bound.TotalSeconds:F0} s{(ex.InnerException is { } read ? $" (the last read of the brokers failed: {read.Message})" : string.Empty)}", daemon, last));
        }

        var recovery = Stopwatch.GetElapsedTime(faultEnded);
        if (rig.Bridge is not { HasExited: false })
        {
            return (default, await FailureAsync(rig, step, $"the bridge exited (code {await ExitCodeAsync(rig)})", daemon, last));
        }

        // The quiet period: no fault, no change. What the brokers hold must not move any more
        // (a publish abandoned at its time limit and landing later would show here).
        await Task.Delay(hold);
        BrokerObservation? after = null;
        string? problem;
        try
        {
            after = await BrokerObservation.ReadAsync(rig);
            problem = after.Mismatch(expected);
        }
#pragma warning disable CA1031 // Any failure to read the brokers back is reported as what it is.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            problem = $"could not read the brokers: {ex.GetType().Name}: {ex.Message}";
        }

        if (problem is not null)
        {
            return (default, await FailureAsync(rig, step,
                string.Create(CultureInfo.InvariantCulture, $"converged {recovery.TotalSeconds:F2} s after the fault, then diverged during a quiet {hold.TotalSeconds:F1} s: {problem}"),
                daemon, after));
        }

        return (recovery, null);
    }

    /// <summary>After a failure: one MEMCTX event from the daemon (it changes no roster entry); do the brokers converge then?</summary>
    private async Task<(bool Converged, string Note)> NudgeAsync(ChaosRig rig, ChaosStep step)
    {
        if (rig.Bridge is not { HasExited: false })
        {
            return (false, "(no bridge running to nudge)");
        }

        rig.Nudge();
        var (recovery, failure) = await CheckAsync(rig, step, Stopwatch.GetTimestamp(), TimeSpan.Zero, NudgeConverge);
        return failure is null
            ? (true, string.Create(CultureInfo.InvariantCulture,
                $"after one more event from the daemon (a MEMCTX, which changes no entry), both brokers converged within {recovery.TotalSeconds:F2} s: the bridge had the events and held them back until more data came"))
            : (false, $"one more event from the daemon (a MEMCTX) did not help within {NudgeConverge.TotalSeconds:F0} s either");
    }

    /// <summary>After a failure: a new bridge (it reads back and sweeps) so that the campaign can go on; false when even that does not converge.</summary>
    private async Task<bool> HealAsync(ChaosRig rig, ChaosStep step, ChaosReport report)
    {
        Log("  healing: a new bridge, then the campaign goes on");
        await rig.KillBridgeAsync();
        await rig.StartBridgeAsync();
        if (await CheckAsync(rig, step, Stopwatch.GetTimestamp(), TimeSpan.Zero) is { Failure: { } failure })
        {
            report.Failed(step, $"not even a new bridge converged; the campaign stops: {failure}");
            return false;
        }

        return true;
    }

    private async Task<string> FailureAsync(ChaosRig rig, ChaosStep? step, string what, RosterBridge.Simulate.RosterSlot?[] daemon, BrokerObservation? observation)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"chaos-{_settings.Seed}-step{step?.Index ?? 0}-bridge.log");
        var bridgeOutput = rig.Bridge?.Output ?? string.Empty;
        await File.WriteAllTextAsync(
            Path.Combine(_settings.Directory, name),
            $"{rig.PreviousBridgeOutput ?? "(no earlier bridge)"}\n---- the bridge that failed ----\n{bridgeOutput}");
        var tail = string.Join('\n', bridgeOutput.TrimEnd().Split('\n').TakeLast(25));
        return $"{what}\n" +
            $"what the brokers held vs. the daemon:\n{observation?.Differences(daemon) ?? "  (the brokers could not be read)\n"}" +
            $"readyz: {await ReadyzAsync(rig)}\n" +
            $"the bridge's last lines (all of them in {name}):\n{tail}";
    }

    private static async Task<string> ReadyzAsync(ChaosRig rig)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await http.GetAsync(rig.Readiness);
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return $"(no answer: {ex.Message})";
        }
    }

    private static async Task<string> ExitCodeAsync(ChaosRig rig)
    {
        try
        {
            return rig.Bridge is null ? "none running" : (await rig.Bridge.WaitForExitAsync(TimeSpan.FromSeconds(5))).ToString(CultureInfo.InvariantCulture);
        }
        catch (TimeoutException)
        {
            return "unknown";
        }
    }

    private void Log(string line)
    {
        var stamped = $"{DateTime.UtcNow:HH:mm:ss.fff} {line}";
        lock (_logGate)
        {
            File.AppendAllText(_settings.ProgressPath, stamped + "\n");
        }

        try
        {
            output.WriteLine(stamped);
        }
        catch (InvalidOperationException)
        {
            // The test has ended; a late line from the daemon has nowhere to go but the file.
        }
    }
}
