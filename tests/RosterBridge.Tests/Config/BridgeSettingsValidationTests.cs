using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RosterBridge.Config;
using Xunit;

namespace RosterBridge.Tests.Config;

/// <summary>The settings as a host validates them when it starts: every problem, each naming its key, before any service starts.</summary>
public sealed class BridgeSettingsValidationTests
{
    [Fact]
    public async Task A_host_with_bad_settings_fails_to_start_with_every_problem_and_starts_no_service()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Node"] = "a.b",
            ["Mqtt:Url"] = "off",
            ["Nats:Url"] = "off",
            ["Mqtt:MaxInFlight"] = "0",
            ["Reconnect:InitialDelayMs"] = "500",
            ["Reconnect:MaxDelayMs"] = "400",
        }).Build();
        var probe = new StartProbe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddBridgeSettings(config, "host");
        builder.Services.AddHostedService(_ => probe);
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.False(probe.Started);
        Assert.Equal(
            ["Mqtt:MaxInFlight", "Mqtt:Url, Nats:Url", "Node", "Reconnect:MaxDelayMs"],
            ex.Failures.Select(failure => ConfigException.FromFailure(failure).Key).Order(StringComparer.Ordinal));
        Assert.All(ex.Failures, failure => Assert.Contains(": ", failure, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_with_good_settings_starts_and_has_the_options()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Node"] = "n1", ["Nats:Url"] = "off" }).Build();
        var probe = new StartProbe();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddBridgeSettings(config, "host");
        builder.Services.AddHostedService(_ => probe);
        using var host = builder.Build();

        await host.StartAsync();

        Assert.True(probe.Started);
        var opts = host.Services.GetRequiredService<BridgeOpts>();
        Assert.Equal("n1", opts.Node);
        Assert.Null(opts.Nats);
        await host.StopAsync();
    }

    [Fact]
    public void A_value_the_binder_cannot_convert_names_its_key()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Nats:PublishTimeoutSeconds"] = "ten" }).Build();

        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(config, "host"));

        Assert.Equal("Nats:PublishTimeoutSeconds", ex.Key);
        Assert.Equal("configuration error: Nats:PublishTimeoutSeconds: 'ten' is not a whole number", ex.Message);
    }

    private sealed class StartProbe : IHostedService
    {
        public bool Started { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
