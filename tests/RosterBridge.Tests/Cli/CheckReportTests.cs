using Microsoft.Extensions.Configuration;
using RosterBridge.Cli;
using Xunit;

namespace RosterBridge.Tests.Cli;

/// <summary>What <c>rosterbridge check</c> shows of a setting, and that no secret reaches its output.</summary>
public sealed class CheckReportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rosterbridge-report-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("Mqtt:Password", "hunter2", CheckReport.Hidden)]
    [InlineData("Nats:Token", "t0ken", CheckReport.Hidden)]
    [InlineData("Mqtt:PasswordFile", "/run/secrets/mqtt", "/run/secrets/mqtt")]
    [InlineData("Nats:CredsFile", "/etc/rb/pve1.creds", "/etc/rb/pve1.creds")]
    [InlineData("Mqtt:KeyFile", "/etc/rb/client.key", "/etc/rb/client.key")]
    [InlineData("Mqtt:Url", "mqtt://user:pw@broker:1883", "mqtt://user:***@broker:1883")]
    [InlineData("Mqtt:Username", "bridge-pve1", "bridge-pve1")]
    [InlineData("Mqtt:Password", "", "(empty)")]
    public void A_secret_is_hidden_and_a_secret_files_path_shown(string key, string value, string shown) =>
        Assert.Equal(shown, CheckReport.Shown(key, value));

    [Fact]
    public void No_line_shows_a_secret_given_directly_in_a_URL_or_in_a_secret_file()
    {
        var passwordFile = Path.Combine(_folder, "password");
        var keyFile = Path.Combine(_folder, "client.key");
        File.WriteAllText(passwordFile, "from-the-file-9f2\n");
        File.WriteAllText(keyFile, "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n");
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Nats:Token"] = "direct-t0ken-55",
            ["Mqtt:Url"] = "mqtt://user:in-the-url-77@broker:1883",
            ["Mqtt:PasswordFile"] = passwordFile,
            ["Mqtt:KeyFile"] = keyFile,
            ["Nats:TokenFile"] = Path.Combine(_folder, "missing"), // unreadable: nothing to hide, no failure
        }).Build();
        using var output = new StringWriter();
        var report = new CheckReport(output);

        report.KeepSecret(config);
        report.Settings(config);
        report.Add("mqtt", CheckReport.Outcome.Failed, "broker said: bad password from-the-file-9f2 for in-the-url-77 (key MIIEvQIBADANBgkqhkiG9w0BAQEFAASC)");
        report.Add("nats", CheckReport.Outcome.Failed, "token direct-t0ken-55 refused");
        report.Summary();

        var text = output.ToString();
        Assert.DoesNotContain("from-the-file-9f2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("in-the-url-77", text, StringComparison.Ordinal);
        Assert.DoesNotContain("direct-t0ken-55", text, StringComparison.Ordinal);
        Assert.DoesNotContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", text, StringComparison.Ordinal);
        Assert.Contains(passwordFile, text, StringComparison.Ordinal);
        Assert.Contains("bad password *** for ***", text, StringComparison.Ordinal);
        Assert.Contains("2 of 2 checks failed; exit code 1", text, StringComparison.Ordinal);
    }
}
