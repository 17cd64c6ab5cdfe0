using Microsoft.Extensions.Options;

namespace RosterBridge.Config;

/// <summary>The attributes' rules on <see cref="BridgeSettings"/> and its sections, checked by generated code (no reflection).</summary>
[OptionsValidator]
internal sealed partial class BridgeSettingsValidator : IValidateOptions<BridgeSettings>;
