using Microsoft.Extensions.Configuration;
using RosterBridge.Config;
using Xunit;

namespace RosterBridge.Tests.Config;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReadableSecretsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rosterbridge-secrets-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string File(string name, string text, UnixFileMode mode)
    {
        var path = Path.Combine(_dir.FullName, name);
        System.IO.File.WriteAllText(path, text);
        System.IO.File.SetUnixFileMode(path, mode);
        return path;
    }

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode WorldReadable = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public void A_secret_file_others_can_read_is_named_and_a_private_one_is_not()
    {
        var open = File("password", "s3cret", WorldReadable);
        var closed = File("token", "t0ken", Private);
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Mqtt:PasswordFile"] = open, ["Nats:TokenFile"] = closed,
        }).Build();

        var found = ReadableSecrets.ReadableByOthers(config, configFile: null).ToList();

        Assert.Equal([("Mqtt:PasswordFile", open)], found);
    }

    [Fact]
    public void A_readable_configuration_file_is_named_only_when_it_holds_a_password_or_token()
    {
        var plain = File("plain.json", """{ "Node": "pve1", "Mqtt": { "Password": "" } }""", WorldReadable);
        var secret = File("secret.json", """{ "Nats": { "Password": "s3cret" } }""", WorldReadable);
        var empty = new ConfigurationBuilder().Build();

        Assert.Empty(ReadableSecrets.ReadableByOthers(empty, plain));
        Assert.Equal(secret, Assert.Single(ReadableSecrets.ReadableByOthers(empty, secret)).Path);
    }
}
