using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RosterBridge.Config;

/// <summary>
/// Reads the configuration in layers, later ones winning: the JSON file, environment variables
/// (<c>ROSTERBRIDGE_</c> prefix, <c>__</c> for nesting), then the command line. The binder's
/// generated code fills in <see cref="BridgeSettings"/>, the options validators check it all before
/// anything connects, and every problem names its key.
/// </summary>
internal static partial class ConfigLoader
{
    public const string EnvironmentPrefix = "ROSTERBRIDGE_";
    public const string DefaultFileName = "rosterbridge.json";

    /// <summary>The merged configuration, before validation.</summary>
    /// <param name="commandLine">Keys and values from the command line (<c>Mqtt:Url</c> → <c>mqtt://…</c>).</param>
    /// <param name="environment">The process's environment; only <c>ROSTERBRIDGE_</c> variables count.</param>
    /// <param name="defaultConfigDirectory">Where <c>rosterbridge.json</c> is read from unless <c>Config</c> names a file.</param>
    public static IConfiguration Build(
        IReadOnlyDictionary<string, string?> commandLine,
        IReadOnlyDictionary<string, string?> environment,
        string defaultConfigDirectory)
    {
        var environmentKeys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in environment)
        {
            if (name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
            {
                environmentKeys[name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }

        var overrides = new ConfigurationBuilder()
            .AddInMemoryCollection(environmentKeys)
            .AddInMemoryCollection(commandLine)
            .Build();

        // The file is named by --config or ROSTERBRIDGE_CONFIG; a missing default file is fine.
        var explicitFile = BridgeSettings.Trimmed(overrides["Config"]);
        var file = explicitFile ?? Path.Combine(defaultConfigDirectory, DefaultFileName);
        if (explicitFile is not null && !File.Exists(explicitFile))
        {
            throw new ConfigException("Config", $"the file '{explicitFile}' does not exist");
        }

        var builder = new ConfigurationBuilder();
        if (File.Exists(file))
        {
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        try
        {
            return builder
                .AddInMemoryCollection(environmentKeys)
                .AddInMemoryCollection(commandLine)
                .Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException)
        {
            throw new ConfigException("Config", $"the file '{file}' is not valid JSON: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException("Config", $"cannot read the file '{file}': {ex.Message}");
        }
    }

    /// <summary>Keys of the file or the environment that the bridge does not know (likely typos), for a warning.</summary>
    /// <summary>The configuration file in use: the one named by <c>Config</c>, or the default one when it exists.</summary>
    public static string? FileOf(IConfiguration config, string defaultConfigDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        var file = BridgeSettings.Trimmed(config["Config"]) ?? Path.Combine(defaultConfigDirectory, DefaultFileName);
        return File.Exists(file) ? file : null;
    }

    public static IEnumerable<string> UnknownKeys(IConfiguration config) =>
        config.AsEnumerable()
            .Where(pair => pair.Value is not null && !ConfigKeys.IsKnown(pair.Key) && !IsComment(pair.Key))
            .Select(pair => pair.Key);

    /// <summary>
    /// Registers <see cref="BridgeSettings"/> bound from <paramref name="config"/>, its validators
    /// (checked when the host starts, before anything connects), and the <see cref="BridgeOpts"/> made from it.
    /// </summary>
    public static IServiceCollection AddBridgeSettings(this IServiceCollection services, IConfiguration config, string hostName)
    {
        services.AddOptions<BridgeSettings>()
            .Configure(settings => Bind(config, settings))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<BridgeSettings>, BridgeSettingsValidator>();
        services.AddSingleton<IValidateOptions<BridgeSettings>, BridgeSettingsRules>();
        services.AddSingleton(provider => provider.GetRequiredService<IOptions<BridgeSettings>>().Value.ToOpts(hostName));
        return services;
    }

    /// <summary>The validated options; throws <see cref="ConfigException"/> naming the first key that is wrong.</summary>
    public static BridgeOpts Parse(IConfiguration config, string hostName)
    {
        using var services = new ServiceCollection().AddBridgeSettings(config, hostName).BuildServiceProvider();
        try
        {
            return services.GetRequiredService<BridgeOpts>();
        }
        catch (OptionsValidationException ex)
        {
            throw ConfigException.FromFailure(ex.Failures.First());
        }
    }

    /// <summary>The validated options, or null and every problem found, each naming its key (<c>rosterbridge check</c>).</summary>
    public static BridgeOpts? Check(IConfiguration config, string hostName, out IReadOnlyList<ConfigException> problems)
    {
        using var services = new ServiceCollection().AddBridgeSettings(config, hostName).BuildServiceProvider();
        try
        {
            problems = [];
            return services.GetRequiredService<BridgeOpts>();
        }
        catch (OptionsValidationException ex)
        {
            problems = ex.Failures.Select(ConfigException.FromFailure).ToList();
        }
        catch (ConfigException ex)
        {
            problems = [ex];
        }

        return null;
    }

    private static void Bind(IConfiguration config, BridgeSettings settings)
    {
        try
        {
            config.Bind(settings);
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or OverflowException
                                                   && FailedConversion().Match(ex.Message) is { Success: true } match)
        {
            var key = match.Groups["key"].Value;
            throw new ConfigException(key, $"'{config[key]}' is not a whole number");
        }
    }

    // The binder's message for a value it cannot convert, the only place it names the key.
    [GeneratedRegex("^Failed to convert configuration value '.*' at '(?<key>[^']+)' to type", RegexOptions.Singleline)]
    private static partial Regex FailedConversion();

    // The JSON file documents itself with "//" keys, which JSON has no other way to say.
    private static bool IsComment(string key) =>
        key.Split(':')[^1].StartsWith("//", StringComparison.Ordinal);
}
