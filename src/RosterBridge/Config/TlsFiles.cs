namespace RosterBridge.Config;

/// <summary>
/// The PEM files of a TLS connection: the CA bundle to trust (null: the system's store), and a
/// client certificate with its key for mutual TLS. There is no way to turn verification off: a
/// private CA goes into <see cref="CaFile"/>.
/// </summary>
internal sealed record TlsFiles(string? CaFile, string? CertFile, string? KeyFile)
{
    public static readonly TlsFiles None = new(null, null, null);
}
