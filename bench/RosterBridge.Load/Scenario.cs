using System.Diagnostics;

namespace RosterBridge.Load;

/// <summary>
/// One bridge (a build, an outbox mode) through the whole sequence, with a daemon of its own and
/// a node name of its own (so the brokers hold nothing of it yet): start with a roster waiting,
/// the bursts, the trickle; then its peak memory, and a SIGTERM.
/// </summary>
internal sealed class Scenario
{
    private readonly LoadOptions _options;
    private readonly Brokers _brokers;
    private readonly string _workDir;
    private readonly string _logDir;

    public Scenario(LoadOptions options, Brokers brokers, string workDir, string logDir)
    {
        _options = options;
        _brokers = brokers;
        _workDir = workDir;
        _logDir = logDir;
    }

    public async Task<ConfigResult> RunAsync(BuildKind build, string path, string mode, CancellationToken cancellationToken)
    {
        var node = $"load-{build.ToString().ToLowerInvariant()}-{mode}";
        var result = new ConfigResult(build, mode, node);
        var socket = Path.Combine(_workDir, node + ".sock");
        var largest = _options.Sizes.Max();
        var book = new LatencyBook();

        await using var daemon = await DaemonHost.StartAsync(socket, _options.Seed, _options.Vms, _options.BurstTimeout(largest), cancellationToken);
        await using var mqtt = await MqttLive.ConnectAsync(_brokers.MqttPort, node, book, cancellationToken);
        await using var nats = await NatsLive.ConnectAsync(_brokers.NatsPort, node, book, cancellationToken);
        ILiveSubscriber[] subscribers = [mqtt, nats];
        var initial = daemon.Expected();
        foreach (var subscriber in subscribers)
        {
            subscriber.View.Expect(initial);
        }

        Log.Line($"{result.Label}: starting the bridge (node {node}, {daemon.Occupied} VMs waiting in the daemon)");
        await using var bridge = BridgeProcess.Start(build, path, mode, node, socket, _brokers, Path.Combine(_logDir, node + ".log"), _options.BridgeEnv);
        try
        {
            await RunStepsAsync(result, daemon, bridge, subscribers, book, cancellationToken);
        }
        catch (LoadException ex)
        {
            result.Problems.Add(ex.Message);
            Log.Line($"{result.Label}: FAILED: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            result.Problems.Add("a wait was cancelled");
        }
        finally
        {
            if (!bridge.Process.HasExited)
            {
                result.PeakRssKib ??= bridge.PeakRssKib();
            }

            result.ExitCode = await bridge.StopAsync();
            if (result.ExitCode != 0)
            {
                result.Problems.Add($"the bridge's exit code on SIGTERM was {result.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none (killed)"}; last lines:\n{bridge.Process.Tail(10)}");
            }

            foreach (var subscriber in subscribers)
            {
                result.Problems.AddRange(subscriber.Errors.Take(5));
                if (await subscriber.BarrierLeftoversAsync(cancellationToken) is { } leftovers)
                {
                    result.Problems.Add(leftovers);
                }
            }
        }

        return result;
    }

    private async Task RunStepsAsync(ConfigResult result, DaemonHost daemon, BridgeProcess bridge, ILiveSubscriber[] subscribers, LatencyBook book, CancellationToken cancellationToken)
    {
        // Start → first publish, with the daemon already holding a roster.
        var firstAny = Task.WhenAny(subscribers.Select(subscriber => subscriber.View.FirstMessage));
        if (await Task.WhenAny(firstAny, bridge.Exited).WaitAsync(_options.StepTimeout, cancellationToken) != firstAny)
        {
            throw new LoadException($"the bridge exited before publishing anything; its last lines:\n{bridge.Process.Tail(20)}");
        }

        var converged = await ConvergeAsync(subscribers, bridge, daemon.Occupied, _options.StepTimeout, cancellationToken);
        result.StartToFirstMs = Log.Ms(bridge.StartedAt, subscribers.Min(subscriber => subscriber.View.FirstMessage.Result));
        result.StartToFirstMqttMs = Log.Ms(bridge.StartedAt, subscribers[0].View.FirstMessage.Result);
        result.StartToFirstNatsMs = Log.Ms(bridge.StartedAt, subscribers[1].View.FirstMessage.Result);
        result.StartConvergedMs = Log.Ms(bridge.StartedAt, converged.Max());
        Log.Line(FormattableString.Invariant($"{result.Label}: first publish {result.StartToFirstMs:F0} ms after the process started, roster on both brokers at {result.StartConvergedMs:F0} ms"));

        if (result.Mode == "per-event" && !bridge.SaidPerEvent())
        {
            result.ModeInEffect = false;
            result.Problems.Add(bridge.SaidModeUnknown()
                ? "this bridge does not know Outbox:Mode: it ran coalescing, not per-event"
                : "the bridge did not log that it runs per-event");
        }

        foreach (var events in _options.Sizes)
        {
            result.Bursts.Add(await BurstAsync(result, daemon, bridge, subscribers, events, cancellationToken));
        }

        await TrickleAsync(result, daemon, bridge, subscribers, book, cancellationToken);

        var ready = await bridge.ReadyAsync(cancellationToken);
        result.DaemonConnections = ready?.DaemonConnections ?? 0;
        if (result.DaemonConnections != 1)
        {
            result.Problems.Add($"the bridge connected to the daemon {result.DaemonConnections} times (1 expected): a reconnect happened during the run");
        }

        // Just before stopping it: the peak over everything above.
        result.PeakRssKib = bridge.PeakRssKib();
        (result.RssAnonKib, result.RssFileKib) = bridge.RssNowKib();
    }

    private async Task<BurstResult> BurstAsync(ConfigResult result, DaemonHost daemon, BridgeProcess bridge, ILiveSubscriber[] subscribers, long events, CancellationToken cancellationToken)
    {
        var timeout = _options.BurstTimeout(events);
        var before = await bridge.WaitIdleAsync(0, _options.StepTimeout, cancellationToken);
        var messagesBefore = subscribers.Select(subscriber => subscriber.View.Messages).ToArray();
        var cpuBefore = Cpu(bridge);
        foreach (var subscriber in subscribers)
        {
            subscriber.View.Expect(null);
        }

        Log.Line(FormattableString.Invariant($"{result.Label}: burst of {events} events"));
        var burst = daemon.BurstAsync(events, cancellationToken);
        if (await Task.WhenAny(burst, bridge.Exited).WaitAsync(timeout, cancellationToken) != burst)
        {
            throw new LoadException($"the bridge exited during the burst; its last lines:\n{bridge.Process.Tail(20)}");
        }

        var (first, last) = await burst;
        var expected = daemon.Expected();
        foreach (var subscriber in subscribers)
        {
            subscriber.View.Expect(expected);
        }

        var converged = await ConvergeAsync(subscribers, bridge, before.RosterEvents + events, timeout, cancellationToken);
        var cpuAfter = Cpu(bridge);
        var burstResult = new BurstResult(
            events,
            Log.Ms(first, converged.Max()),
            Log.Ms(first, converged[0]),
            Log.Ms(first, converged[1]),
            Log.Ms(first, last),
            subscribers[0].View.Messages - messagesBefore[0],
            subscribers[1].View.Messages - messagesBefore[1],
            (cpuAfter.Bridge - cpuBefore.Bridge).TotalSeconds,
            (cpuAfter.Mosquitto - cpuBefore.Mosquitto).TotalSeconds,
            (cpuAfter.Nats - cpuBefore.Nats).TotalSeconds,
            (cpuAfter.Tool - cpuBefore.Tool).TotalSeconds);
        Log.Line(FormattableString.Invariant(
            $"{result.Label}: {events} events converged in {burstResult.ConvergedMs:F0} ms (daemon done at {burstResult.DaemonDoneMs:F0} ms); messages MQTT {burstResult.MqttMessages}, NATS {burstResult.NatsMessages}"));
        return burstResult;
    }

    private async Task TrickleAsync(ConfigResult result, DaemonHost daemon, BridgeProcess bridge, ILiveSubscriber[] subscribers, LatencyBook book, CancellationToken cancellationToken)
    {
        await bridge.WaitIdleAsync(0, _options.StepTimeout, cancellationToken);
        Log.Line(FormattableString.Invariant($"{result.Label}: trickle, {_options.Rate:F0} events/s and {_options.Rate:F0} probes/s per broker for {_options.TrickleSeconds:F0} s"));
        book.Start();
        var duration = TimeSpan.FromSeconds(_options.TrickleSeconds);
        var period = TimeSpan.FromSeconds(1 / _options.Rate);
        var events = PaceAsync(duration, period, TimeSpan.Zero, _ => { daemon.Trickle(book); return Task.CompletedTask; }, cancellationToken);
        long probeId = 0;
        var probes = PaceAsync(duration, period, period / 2, async token =>
        {
            var id = ++probeId;
            await Task.WhenAll(subscribers.Select(subscriber => subscriber.ProbeAsync(id, book, token)));
        }, cancellationToken);
        await Task.WhenAll(events, probes).WaitAsync(duration + _options.StepTimeout, cancellationToken);

        // Drained: the bridge has read every event and has nothing pending, and a barrier through each
        // broker shows that all it routed before has been received. Per-event, every event must have
        // arrived; coalescing may rightly skip one that a newer state of its slot overtook.
        await bridge.WaitIdleAsync(0, _options.StepTimeout, cancellationToken);
        await Task.WhenAll(subscribers.Select(subscriber => subscriber.BarrierAsync(_options.StepTimeout, cancellationToken)));
        book.Stop();
        foreach (var subscriber in subscribers)
        {
            var received = book.Count(LatencyBook.BridgeKey(subscriber.Broker));
            if (result.Mode == "per-event" && received != book.EventsNoted)
            {
                result.Problems.Add($"trickle, {subscriber.Broker}: {received} of {book.EventsNoted} events received in per-event mode");
            }

            if (book.Count(LatencyBook.ProbeKey(subscriber.Broker)) != book.ProbesNoted)
            {
                result.Problems.Add($"trickle, {subscriber.Broker}: {book.Count(LatencyBook.ProbeKey(subscriber.Broker))} of {book.ProbesNoted} probes received");
            }

            Log.Line($"{result.Label}: {subscriber.Broker} slowest, bridge: {book.Slowest(LatencyBook.BridgeKey(subscriber.Broker), 5)}");
            Log.Line($"{result.Label}: {subscriber.Broker} slowest, own:    {book.Slowest(LatencyBook.ProbeKey(subscriber.Broker), 5)}");
        }

        foreach (var subscriber in subscribers)
        {
            result.Latency.Add(new LatencyResult(
                subscriber.Broker,
                book.EventsNoted,
                Stats.Of(book.Samples(LatencyBook.BridgeKey(subscriber.Broker))),
                Stats.Of(book.Samples(LatencyBook.ProbeKey(subscriber.Broker)))));
        }

        // The roster after the trickle is the daemon's too.
        var expected = daemon.Expected();
        foreach (var subscriber in subscribers)
        {
            subscriber.View.Expect(expected);
        }

        await ConvergeAsync(subscribers, bridge, 0, _options.StepTimeout, cancellationToken);
        foreach (var latency in result.Latency)
        {
            Log.Line(FormattableString.Invariant(
                $"{result.Label}: {latency.Broker} p50/p99 bridge {latency.Bridge.P50:F2}/{latency.Bridge.P99:F2} ms ({latency.Bridge.Count} of {latency.Events}), broker's own {latency.Own.P50:F2}/{latency.Own.P99:F2} ms ({latency.Own.Count})"));
        }
    }

    /// <summary>
    /// Waits until every subscriber holds the expected roster, the bridge has read
    /// <paramref name="rosterEvents"/> events and has nothing pending, and a barrier through each
    /// broker shows nothing more was on its way. Returns, per subscriber, the moment its view last
    /// became equal to the expected roster.
    /// </summary>
    private static async Task<long[]> ConvergeAsync(ILiveSubscriber[] subscribers, BridgeProcess bridge, long rosterEvents, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        TimeSpan Left() => TimeSpan.FromSeconds(Math.Max(0.001, (deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
        try
        {
            while (true)
            {
                var matching = Task.WhenAll(subscribers.Select(subscriber => subscriber.View.WaitMatchingAsync()));
                if (await Task.WhenAny(matching, bridge.Exited).WaitAsync(Left(), cancellationToken) != matching)
                {
                    throw new LoadException($"the bridge exited; its last lines:\n{bridge.Process.Tail(20)}");
                }

                await bridge.WaitIdleAsync(rosterEvents, Left(), cancellationToken);
                await Task.WhenAll(subscribers.Select(subscriber => subscriber.BarrierAsync(Left(), cancellationToken)));
                if (subscribers.All(subscriber => subscriber.View.IsMatching))
                {
                    return subscribers.Select(subscriber => subscriber.View.LastMatch).ToArray();
                }
            }
        }
        catch (TimeoutException)
        {
            throw new LoadException(FormattableString.Invariant(
                $"the brokers did not hold the daemon's roster within {timeout.TotalSeconds:F0} s:{string.Concat(subscribers.Select(subscriber => subscriber.View.Differences()))}"));
        }
    }

    /// <summary>Calls <paramref name="step"/> once per <paramref name="period"/> for <paramref name="duration"/>, catching up after a stall (at most one second's worth).</summary>
    private static async Task PaceAsync(TimeSpan duration, TimeSpan period, TimeSpan offset, Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        if (offset > TimeSpan.Zero)
        {
            await Task.Delay(offset, cancellationToken);
        }

        var started = Stopwatch.GetTimestamp();
        var total = (long)(duration / period);
        long done = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, period.TotalMilliseconds / 2)));
        while (done < total && await timer.WaitForNextTickAsync(cancellationToken))
        {
            var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(started) / period) + 1);
            done = Math.Max(done, due - (long)(TimeSpan.FromSeconds(1) / period));
            for (; done < due; done++)
            {
                await step(cancellationToken);
            }
        }
    }

    private (TimeSpan Bridge, TimeSpan Mosquitto, TimeSpan Nats, TimeSpan Tool) Cpu(BridgeProcess bridge)
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return (bridge.CpuTime(), ProcStat.CpuTime(_brokers.MosquittoPid), ProcStat.CpuTime(_brokers.NatsPid), self.TotalProcessorTime);
    }
}
