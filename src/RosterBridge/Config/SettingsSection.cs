using System.Diagnostics.CodeAnalysis;

namespace RosterBridge.Config;

/// <summary>
/// A section of the configuration as the binder fills it in. The annotation keeps every section's
/// public properties for <see cref="ConfigKeys"/>, which reads the known keys off these types
/// (and stays trim- and AOT-safe doing so).
/// </summary>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
internal abstract class SettingsSection;
