using RosterBridge.Config;
using Xunit;

namespace RosterBridge.Tests.Config;

/// <summary><c>Nats:Mode</c> and <c>Nats:Bucket</c>, from the environment as a deployment sets them.</summary>
public sealed class NatsModeConfigTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rosterbridge-config-");

    public void Dispose() => _dir.Delete(recursive: true);

    private BridgeOpts Load(params (string Name, string Value)[] environment) =>
        ConfigLoader.Parse(
            ConfigLoader.Build(new Dictionary<string, string?>(), environment.ToDictionary(pair => pair.Name, pair => (string?)pair.Value), _dir.FullName),
            "pve1");

    [Fact]
    public void Stream_mode_and_the_bucket_vmsig_roster_by_default()
    {
        var nats = Load().Nats!;
        Assert.Equal(NatsMode.Stream, nats.Mode);
        Assert.Equal("vmsig_roster", nats.Bucket);
    }

    [Theory]
    [InlineData("kv", true)]
    [InlineData("KV", true)]
    [InlineData("stream", false)]
    public void The_mode_is_read_in_any_case(string value, bool kv)
    {
        Assert.Equal(kv ? NatsMode.Kv : NatsMode.Stream, Load(("ROSTERBRIDGE_NATS__MODE", value)).Nats!.Mode);
    }

    [Fact]
    public void The_bucket_is_configurable()
    {
        Assert.Equal("pve_roster", Load(("ROSTERBRIDGE_NATS__MODE", "kv"), ("ROSTERBRIDGE_NATS__BUCKET", "pve_roster")).Nats!.Bucket);
    }

    [Theory]
    [InlineData("ROSTERBRIDGE_NATS__MODE", "bucket", "Nats:Mode")]
    [InlineData("ROSTERBRIDGE_NATS__BUCKET", "vmsig.roster", "Nats:Bucket")]
    [InlineData("ROSTERBRIDGE_NATS__BUCKET", "roster>", "Nats:Bucket")]
    public void A_bad_mode_or_bucket_name_names_its_key(string variable, string value, string key)
    {
        var error = Assert.Throws<ConfigException>(() => Load((variable, value)));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }
}
