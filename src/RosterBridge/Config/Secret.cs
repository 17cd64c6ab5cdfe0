namespace RosterBridge.Config;

/// <summary>
/// A secret given in the configuration (an environment variable, say) or as a file (a container
/// secret). The file is read at every connect, so a rotated secret is taken without a restart.
/// Never printed: <see cref="ToString"/> says only where it comes from.
/// </summary>
internal sealed record Secret(string? Value, string? File)
{
    /// <summary>Null when neither is given.</summary>
    public static Secret? From(string? value, string? file) =>
        value is null && file is null ? null : new Secret(value, file);

    /// <summary>The secret; a file's content without its trailing line break.</summary>
    public string Read() => Value ?? System.IO.File.ReadAllText(File!).TrimEnd('\r', '\n');

    public override string ToString() => File is null ? "(secret)" : $"(secret in {File})";
}
