using Microsoft.Extensions.Configuration;
using RosterBridge.Config;
using RosterBridge.Nats;
using RosterBridge.Tls;
using Xunit;

namespace RosterBridge.Tests.Config;

/// <summary><c>Nats:Url</c> as a cluster's list of servers, and <c>Nats:Replicas</c>, as a bridge reads them at start.</summary>
public sealed class NatsClusterSettingsTests
{
    private static BridgeOpts Load(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Node"] = "n1", ["Mqtt:Url"] = "off" };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        return ConfigLoader.Parse(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), "host");
    }

    [Fact]
    public void A_comma_separated_list_names_every_server_in_order_and_the_first_is_the_url()
    {
        var nats = Load(("Nats:Url", "nats://a:4222, nats://b:4223 ,nats://c")).Nats!;

        Assert.Equal([new BrokerUrl("a", 4222), new BrokerUrl("b", 4223), new BrokerUrl("c", 4222)], nats.Servers);
        Assert.Equal(new BrokerUrl("a", 4222), nats.Url);
        Assert.Equal("nats://a:4222,nats://b:4223,nats://c:4222", nats.ServerList);
    }

    [Fact]
    public void The_client_is_given_every_server_and_a_tls_list_requires_tls()
    {
        var nats = Load(("Nats:Url", "tls://a:4222,tls://b:4222")).Nats!;
        using var trust = TlsTrust.Load(nats.Tls, "Nats", TimeProvider.System);

        var client = NatsConnect.Options(nats, "test", trust);

        Assert.Equal("tls://a:4222,tls://b:4222", client.Url);
        Assert.Equal(NATS.Client.Core.TlsMode.Require, client.TlsOpts.Mode);
    }

    [Fact]
    public void One_server_is_a_list_of_one_and_the_sink_target_shows_every_server()
    {
        Assert.Equal([new BrokerUrl("solo", 4222)], Load(("Nats:Url", "nats://solo")).Nats!.Servers);
        var sink = new NatsSink(Load(("Nats:Url", "nats://a,nats://b")).Nats!, "n1", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal("nats://a:4222,nats://b:4222", sink.Target);
    }

    [Theory]
    [InlineData("nats://a:4222,tls://b:4222", "mixes plaintext and TLS servers")]
    [InlineData("nats://a:4222,nats://a:4222", "names nats://a:4222 twice")]
    [InlineData("nats://a:4222,,nats://b:4222", "an empty entry")]
    [InlineData("nats://a:4222,mqtt://b:1883", "'mqtt://b:1883' is not nats://HOST:PORT or tls://HOST:PORT")]
    [InlineData("nats://a:4222,off", "'off' is not")]
    public void A_bad_list_is_refused_naming_what_is_wrong(string url, string problem)
    {
        var ex = Assert.Throws<ConfigException>(() => Load(("Nats:Url", url)));

        Assert.Equal("Nats:Url", ex.Key);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_servers_than_a_seed_list_needs_are_refused()
    {
        var url = string.Join(",", Enumerable.Range(1, BrokerUrl.MaxServers + 1).Select(i => $"nats://n{i}:4222"));

        var ex = Assert.Throws<ConfigException>(() => Load(("Nats:Url", url)));

        Assert.Contains($"at most {BrokerUrl.MaxServers}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_files_with_a_plaintext_list_still_require_tls_of_every_server()
    {
        var nats = Load(("Nats:Url", "nats://a,nats://b")).Nats! with { Tls = new TlsFiles("/ca.pem", null, null) };
        using var trust = TlsTrust.Load(TlsFiles.None, "Nats", TimeProvider.System);

        Assert.Equal(NATS.Client.Core.TlsMode.Require, NatsConnect.Options(nats, "test", trust).TlsOpts.Mode);
    }

    [Fact]
    public void Replicas_default_to_one_and_take_one_to_five()
    {
        Assert.Equal(1, Load().Nats!.Replicas);
        Assert.Equal(3, Load(("Nats:Replicas", "3")).Nats!.Replicas);
        Assert.Equal(5, Load(("Nats:Replicas", "5")).Nats!.Replicas);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("6")]
    public void Replicas_out_of_range_are_refused(string replicas)
    {
        var ex = Assert.Throws<ConfigException>(() => Load(("Nats:Replicas", replicas)));

        Assert.Equal("Nats:Replicas", ex.Key);
        Assert.Contains("from 1 to 5", ex.Message, StringComparison.Ordinal);
    }
}
