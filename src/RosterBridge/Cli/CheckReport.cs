using Microsoft.Extensions.Configuration;
using RosterBridge.Config;
using RosterBridge.Hosting;

namespace RosterBridge.Cli;

/// <summary>
/// What <c>rosterbridge check</c> prints, line by line as each check ends, and the exit code it ends
/// with. Secrets never reach the output: keys that hold one show only whether they are set, a URL's
/// password is masked, and every line is scrubbed of the secret values themselves (an error message
/// of a client library included).
/// </summary>
internal sealed class CheckReport
{
    public const string Hidden = "(set, not shown)";

    private static readonly string[] SecretWords = ["password", "token", "secret", "nkey", "creds", "credential"];

    private readonly TextWriter _output;
    private readonly List<string> _secrets = [];
    private int _passed;
    private int _failed;
    private int _exitCode = ExitCodes.Ok;

    public CheckReport(TextWriter output) => _output = output;

    /// <summary>How a check ended, and the exit code it asks for.</summary>
    public enum Outcome
    {
        Ok = ExitCodes.Ok,
        Failed = ExitCodes.Failure,
        Misconfigured = ExitCodes.BadConfig,
        Refused = ExitCodes.DaemonRefused,
    }

    /// <summary>0 when every check passed; else the most serious: 2 (configuration, a broker set up wrong), 3 (the daemon refused), 1.</summary>
    public int ExitCode => _exitCode;

    /// <summary>A key whose value is a secret; a <c>…File</c> key holds a path, shown, and its file's contents are the secret.</summary>
    public static bool IsSecretKey(string key) => !IsSecretFileKey(key) && NamesSecret(key);

    /// <summary><c>Mqtt:PasswordFile</c>, <c>Nats:TokenFile</c>, <c>Nats:NKeyFile</c>, <c>Nats:CredsFile</c>, and a TLS <c>KeyFile</c> (a private key).</summary>
    public static bool IsSecretFileKey(string key) =>
        key.EndsWith("File", StringComparison.OrdinalIgnoreCase)
        && (NamesSecret(key) || key.Split(':')[^1].Equals("KeyFile", StringComparison.OrdinalIgnoreCase));

    private static bool NamesSecret(string key) =>
        SecretWords.Any(word => key.Split(':')[^1].Contains(word, StringComparison.OrdinalIgnoreCase));

    /// <summary>A value as the report shows it: hidden for a secret key, a URL's password masked.</summary>
    public static string Shown(string key, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "(empty)";
        }

        if (IsSecretKey(key))
        {
            return Hidden;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? value.Replace(uri.UserInfo, uri.UserInfo.Split(':')[0] + (uri.UserInfo.Contains(':', StringComparison.Ordinal) ? ":***" : string.Empty), StringComparison.Ordinal)
            : value;
    }

    /// <summary>Remembers every secret the configuration holds, so that no line can show one.</summary>
    public void KeepSecret(IConfiguration config)
    {
        foreach (var (key, value) in config.AsEnumerable())
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            if (IsSecretKey(key))
            {
                _secrets.Add(value);
            }
            else if (IsSecretFileKey(key))
            {
                AddFileContents(value);
            }
            else if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.UserInfo.Split(':') is [_, { Length: > 0 } password])
            {
                _secrets.Add(password);
                _secrets.Add(Uri.UnescapeDataString(password));
            }
        }

        _secrets.Sort((a, b) => b.Length.CompareTo(a.Length)); // a secret inside a longer one is masked with it
    }

    /// <summary>
    /// Each line of a secret file, and the whole of it: an error message may quote any of them (a
    /// .creds file holds a JWT and a seed). A file that cannot be read holds nothing to hide here; its
    /// check says why.
    /// </summary>
    private void AddFileContents(string path)
    {
        const long MaxSecretFile = 64 * 1024;
        try
        {
            var file = new FileInfo(path);
            if (!file.Exists || file.Length > MaxSecretFile)
            {
                return;
            }

            var text = File.ReadAllText(path);
            _secrets.AddRange(text.Split('\n').Select(line => line.Trim()).Append(text.Trim()).Where(line => line.Length >= 4).Distinct());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // unreadable: nothing of it can reach the output either
        }
    }

    /// <summary>Every key some layer sets, with where it comes from: <c>Mqtt:Url = mqtt://broker:1883  (environment)</c>.</summary>
    public void Settings(IConfiguration config)
    {
        var set = ConfigKeys.All.Where(key => !string.IsNullOrEmpty(config[key])).ToList();
        var width = set.Count == 0 ? 0 : set.Max(key => key.Length);
        foreach (var key in set)
        {
            Line($"  {key.PadRight(width)} = {Shown(key, config[key])}  ({Source(config, key)})");
        }

        if (set.Count == 0)
        {
            Line("  (every key at its default)");
        }
    }

    public void Line(string text) => _output.WriteLine(Scrub(text));

    /// <summary>One check's result: <c>mqtt mqtt://broker:1883: ok: connected</c>.</summary>
    public void Add(string subject, Outcome outcome, string detail)
    {
        Line($"{subject}: {(outcome == Outcome.Ok ? "ok" : "FAILED")}: {detail}");
        if (outcome == Outcome.Ok)
        {
            _passed++;
            return;
        }

        _failed++;
        if (Rank(outcome) > Rank((Outcome)_exitCode))
        {
            _exitCode = (int)outcome;
        }
    }

    /// <summary>The last line: how many passed, and the exit code when something failed.</summary>
    public void Summary()
    {
        Line(string.Empty);
        Line(_failed == 0
            ? $"all {_passed} checks passed"
            : $"{_failed} of {_passed + _failed} checks failed; exit code {_exitCode}");
    }

    private static int Rank(Outcome outcome) => outcome switch
    {
        Outcome.Ok => 0,
        Outcome.Failed => 1,
        Outcome.Refused => 2,
        _ => 3,
    };

    private string Scrub(string text)
    {
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>The layer a key's value comes from (<see cref="ConfigLoader.Build"/> stacks file, environment, command line).</summary>
    private static string Source(IConfiguration config, string key)
    {
        if (config is not IConfigurationRoot root)
        {
            return "set";
        }

        var providers = root.Providers.ToList();
        for (var i = providers.Count - 1; i >= 0; i--)
        {
            if (providers[i].TryGet(key, out var value) && !string.IsNullOrEmpty(value))
            {
                return (providers.Count - 1 - i) switch
                {
                    0 => "command line",
                    1 => "environment",
                    _ => providers[i] is Microsoft.Extensions.Configuration.Json.JsonConfigurationProvider json ? $"file {json.Source.Path}" : "file",
                };
            }
        }

        return "set";
    }
}
