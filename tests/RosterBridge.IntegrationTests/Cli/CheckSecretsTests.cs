using RosterBridge.IntegrationTests.Brokers;
using RosterBridge.IntegrationTests.Support;
using RosterBridge.Simulate;
using Xunit;

namespace RosterBridge.IntegrationTests.Cli;

/// <summary>
/// <c>rosterbridge check</c> against brokers that authenticate (mosquitto with passwords, nats-server
/// with TLS and a token): the right secrets pass, wrong ones fail with the reason, and no secret
/// (given on the command line, in the environment, or in a file) ever reaches its output.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CheckSecretsTests : IClassFixture<SecureMosquittoContainer>, IAsyncLifetime
{
    private readonly SecureMosquittoContainer _mosquitto;
    private readonly SecureNatsContainer _nats = new(SecureNatsContainer.Setup.Token);
    private readonly string _folder = Directory.CreateTempSubdirectory("rosterbridge-check-secrets-").FullName;
    private SimulatedDaemon _daemon = null!;

    public CheckSecretsTests(SecureMosquittoContainer mosquitto) => _mosquitto = mosquitto;

    public async Task InitializeAsync()
    {
        _daemon = new SimulatedDaemon(new SimulatorOpts { Listen = new("unix", Path.Combine(_folder, "vmsig.sock"), 0), Quiet = true });
        await _daemon.StartAsync();
        await _nats.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _nats.DisposeAsync();
        await _daemon.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_right_password_and_token_pass_and_neither_appears_in_the_output()
    {
        var (exitCode, output) = await CheckAsync(
            ["--Mqtt:Username", "bridge-pve1", "--Mqtt:Password", SecureMosquittoContainer.Password1],
            new Dictionary<string, string> { ["ROSTERBRIDGE_NATS__TOKEN"] = SecureNatsContainer.Token });

        Assert.True(exitCode == 0, output);
        Assert.Contains($"mqtt mqtt://{_mosquitto.Host}:{_mosquitto.PlainPort}: ok: connected (MQTT 5, as bridge-pve1)", output, StringComparison.Ordinal);
        Assert.Contains($"nats tls://{_nats.Host}:{_nats.Port}: ok: connected", output, StringComparison.Ordinal);
        Assert.Contains("Mqtt:Password", output, StringComparison.Ordinal); // the key is listed...
        Assert.Contains("(set, not shown)", output, StringComparison.Ordinal); // ...its value is not
        AssertNoSecret(output, SecureMosquittoContainer.Password1, SecureNatsContainer.Token);
    }

    [Fact]
    public async Task Secrets_in_files_pass_the_files_are_named_and_their_contents_never_shown()
    {
        var passwordFile = Path.Combine(_folder, "mqtt-password");
        var tokenFile = Path.Combine(_folder, "nats-token");
        await File.WriteAllTextAsync(passwordFile, SecureMosquittoContainer.Password1 + "\n");
        await File.WriteAllTextAsync(tokenFile, SecureNatsContainer.Token + "\n");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var (exitCode, output) = await CheckAsync(
            ["--Mqtt:Username", "bridge-pve1", "--Mqtt:PasswordFile", passwordFile, "--Nats:TokenFile", tokenFile], new Dictionary<string, string>());

        Assert.True(exitCode == 0, output);
        Assert.Contains(passwordFile, output, StringComparison.Ordinal);
        // The token file others can read gets a warning naming it; the password file (0600) none.
        Assert.Contains($"warning: {tokenFile} (Nats:TokenFile) can be read by other users", output, StringComparison.Ordinal);
        Assert.DoesNotContain($"warning: {passwordFile}", output, StringComparison.Ordinal);
        AssertNoSecret(output, SecureMosquittoContainer.Password1, SecureNatsContainer.Token);
    }

    [Fact]
    public async Task A_wrong_password_and_a_wrong_token_fail_with_the_reason_and_without_showing_either()
    {
        const string WrongPassword = "wr0ng-passw0rd-6d1f";
        const string WrongToken = "wr0ng-t0ken-93ab";
        var (exitCode, output) = await CheckAsync(
            ["--Mqtt:Username", "bridge-pve1", "--Mqtt:Password", WrongPassword, "--Nats:Token", WrongToken], new Dictionary<string, string>());

        Assert.True(exitCode == 1, output);
        var mqtt = output.Split('\n').Single(line => line.StartsWith("mqtt ", StringComparison.Ordinal));
        Assert.Contains("FAILED", mqtt, StringComparison.Ordinal);
        Assert.Contains("refused the credentials", mqtt, StringComparison.Ordinal);
        var nats = output.Split('\n').Single(line => line.StartsWith("nats ", StringComparison.Ordinal));
        Assert.Contains("FAILED", nats, StringComparison.Ordinal);
        Assert.Contains("refused the credentials (Nats:Token)", nats, StringComparison.Ordinal);
        Assert.Contains("2 of 4 checks failed", output, StringComparison.Ordinal);
        AssertNoSecret(output, WrongPassword, WrongToken);
    }

    private async Task<(int ExitCode, string Output)> CheckAsync(IReadOnlyList<string> secrets, Dictionary<string, string> environment)
    {
        await using var check = BridgeProcess.Start(
        [
            "check", "--node", "pve1", "--daemon", _daemon.Endpoint.ToString(),
            "--mqtt", $"mqtt://{_mosquitto.Host}:{_mosquitto.PlainPort}",
            "--nats", $"tls://{_nats.Host}:{_nats.Port}", "--Nats:CaFile", _nats.Pki.CaFile, "--Health:Port=0", .. secrets,
        ], environment);
        var exitCode = await check.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exitCode, check.Output);
    }

    private static void AssertNoSecret(string output, params string[] secrets)
    {
        foreach (var secret in secrets)
        {
            Assert.False(output.Contains(secret, StringComparison.Ordinal), $"the secret {secret[..3]}… appears in:\n{output}");
        }
    }
}
