using System.Reflection;

namespace RosterBridge.Mqtt.HomeAssistant;

/// <summary>Discovery's origin information (<c>o</c>): the program that published the config.</summary>
/// <param name="SupportUrl">Where to ask about it; left out when the build names none (the <c>SupportUrl</c> assembly metadata).</param>
internal sealed record DiscoveryOrigin(string Name, string Version, string? SupportUrl)
{
    public static DiscoveryOrigin Current { get; } = new(
        "RosterBridge",
        typeof(DiscoveryOrigin).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
        typeof(DiscoveryOrigin).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(meta => meta.Key == "SupportUrl" && !string.IsNullOrWhiteSpace(meta.Value))?.Value);
}
