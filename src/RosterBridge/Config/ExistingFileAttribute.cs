namespace RosterBridge.Config;

/// <summary>A file the bridge can read (a certificate, key or secret).</summary>
internal sealed class ExistingFileAttribute : ConfigValueAttribute
{
    protected override string? Problem(object value)
    {
        var path = (string)value;
        if (!File.Exists(path))
        {
            return Directory.Exists(path) ? $"'{path}' is a directory, not a file" : $"the file '{path}' does not exist";
        }

        try
        {
            using var _ = File.OpenRead(path);
            return null;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return $"the file '{path}' cannot be read: {ex.Message}";
        }
    }
}
