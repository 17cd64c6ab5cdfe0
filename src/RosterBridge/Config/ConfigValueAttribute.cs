using System.ComponentModel.DataAnnotations;

namespace RosterBridge.Config;

/// <summary>
/// A rule for one configuration value, checked by the generated options validator. Its message
/// is <c>KEY: PROBLEM</c>, the key as the configuration spells it (<c>Mqtt:MaxInFlight</c>), so that
/// <see cref="ConfigException"/> and the command line can say which setting is wrong.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal abstract class ConfigValueAttribute : ValidationAttribute
{
    /// <summary>What is wrong with <paramref name="value"/>, or null when it is fine. A missing or blank string is never asked: it means the default.</summary>
    protected abstract string? Problem(object value);

    protected sealed override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        ArgumentNullException.ThrowIfNull(validationContext);
        if (value is null || (value is string text && string.IsNullOrWhiteSpace(text)))
        {
            return ValidationResult.Success;
        }

        var problem = Problem(value is string s ? s.Trim() : value);

        // No member names on the result: the message says it all, and nothing is put before it.
        return problem is null ? ValidationResult.Success : new ValidationResult(ConfigException.Format(Key(validationContext.DisplayName), problem));
    }

    /// <summary>
    /// The configuration's key for the generated validator's name of a member: "BridgeSettings.Mqtt.Url"
    /// (the options type first, as the generator of .NET 10 names it; later ones leave it out) is "Mqtt:Url".
    /// </summary>
    public static string Key(string displayName)
    {
        ArgumentNullException.ThrowIfNull(displayName);
        const string Root = nameof(BridgeSettings) + ".";
        var path = displayName.StartsWith(Root, StringComparison.Ordinal) ? displayName[Root.Length..] : displayName;
        return path.Replace('.', ':');
    }
}
