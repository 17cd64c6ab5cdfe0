using System.Reflection;

namespace RosterBridge.Config;

/// <summary>
/// The keys the bridge knows, read off the settings types the binder fills in (so that a key
/// added to a section is known at once): <c>Node</c>, <c>Mqtt:Url</c>, ... in declaration order.
/// </summary>
internal static class ConfigKeys
{
    private static readonly Lazy<IReadOnlyList<string>> Keys = new(() => KeysOf(new BridgeSettings(), prefix: null).ToList());

    public static IReadOnlyList<string> All => Keys.Value;

    public static bool IsKnown(string key) => All.Contains(key, StringComparer.OrdinalIgnoreCase);

    private static IEnumerable<string> KeysOf(SettingsSection section, string? prefix)
    {
        foreach (var property in section.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true })
            {
                continue;
            }

            var key = prefix is null ? property.Name : $"{prefix}:{property.Name}";
            if (property.GetValue(section) is SettingsSection nested)
            {
                foreach (var inner in KeysOf(nested, key))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return key;
            }
        }
    }
}
