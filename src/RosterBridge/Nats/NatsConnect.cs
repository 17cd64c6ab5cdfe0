using System.Net.Security;
using NATS.Client.Core;
using RosterBridge.Config;
using RosterBridge.Outbox;
using RosterBridge.Tls;

namespace RosterBridge.Nats;

/// <summary>
/// How every NATS connection of the bridge is made (the sink, <c>show</c>, <c>check</c>): the
/// server, credentials and TLS from <see cref="NatsSinkOpts"/>, as NATS users deploy them; and what a
/// failed connect means, in words.
/// </summary>
internal static class NatsConnect
{
    /// <summary>The client options; <paramref name="trust"/> checks the server's certificate whenever TLS is used.</summary>
    /// <remarks>
    /// <c>tls://</c> (or TLS files) requires TLS; with <c>nats://</c> the connection follows a server
    /// that offers it, as NATS clients do, and is then checked just the same.
    /// </remarks>
    public static NatsOpts Options(NatsSinkOpts opts, string name, TlsTrust trust) => new()
    {
        // Every server of a cluster's list: the client picks one and fails over to the others on reconnect.
        Url = opts.ServerList,
        Name = name,
        AuthOpts = Auth(opts),
        TlsOpts = new NatsTlsOpts
        {
            // As NATS.Net's own Auto: TLS files or tls:// require TLS; else the server decides (Prefer).
            Mode = opts.Url.Tls || opts.Tls != TlsFiles.None ? TlsMode.Require : TlsMode.Prefer,
            ConfigureClientAuthentication = authentication =>
            {
                // With a list of servers the name to check is the one this connection dialled.
                authentication.RemoteCertificateValidationCallback = (sender, certificate, _, errors) =>
                    trust.Validate(sender is SslStream { TargetHostName.Length: > 0 } stream ? stream.TargetHostName : opts.Url.Host, certificate, errors);
                if (trust.ClientCertificate is { } certificate)
                {
                    authentication.ClientCertificates = [certificate];
                }

                return ValueTask.CompletedTask;
            },
        },
        ConnectTimeout = opts.PublishTimeout,
        RequestTimeout = opts.PublishTimeout,
        PublishTimeoutOnDisconnected = true,
    };

    /// <summary>This connect's TLS files, read now (with <c>nats://</c> too: the server may require TLS).</summary>
    public static TlsTrust Trust(NatsSinkOpts opts, TimeProvider time) => TlsTrust.Load(opts.Tls, "Nats", time);

    /// <summary>A failed connect in words: a refused credential or certificate is a denial.</summary>
    public static Exception Explain(Exception error, NatsSinkOpts opts, TlsTrust trust)
    {
        var target = opts.ServerList;
        if (error is OperationCanceledException or TimeoutException)
        {
            return error;
        }

        if (trust.Problem is { } problem)
        {
            return new BrokerDeniedException($"{target}: TLS refused: {problem}", error);
        }

        var text = Messages(error);
        if (text.Contains("authorization violation", StringComparison.OrdinalIgnoreCase)
            || text.Contains("authentication", StringComparison.OrdinalIgnoreCase))
        {
            return new BrokerDeniedException($"{target} refused the credentials ({AuthName(opts)}): {error.Message}", error);
        }

        if (text.Contains("tls", StringComparison.OrdinalIgnoreCase) || text.Contains("ssl", StringComparison.OrdinalIgnoreCase))
        {
            return new IOException($"{target}: TLS failed ({error.Message}): " +
                (opts.Url.Tls ? "does the server speak TLS (tls:// needs a server with TLS on)?" : "the server asked for TLS; is the certificate one Nats:CaFile trusts?"), error);
        }

        return error;
    }

    /// <summary>A server error that means the bridge is not allowed something (an ACL), or null.</summary>
    public static string? Denial(string serverError) =>
        serverError.Contains("permissions violation", StringComparison.OrdinalIgnoreCase) ? serverError.Trim('\'', ' ') : null;

    private static NatsAuthOpts Auth(NatsSinkOpts opts)
    {
        if (opts.CredsFile is { } creds)
        {
            return NatsAuthOpts.Default with { CredsFile = creds };
        }

        if (opts.NKeyFile is { } nkeyFile)
        {
            var (publicKey, seed) = NKeyFromFile(nkeyFile);
            return NatsAuthOpts.Default with { NKey = publicKey, Seed = seed };
        }

        if (opts.Token is { } token)
        {
            return NatsAuthOpts.Default with { Token = token.Read() };
        }

        return opts.Username is null && opts.Password is null
            ? NatsAuthOpts.Default
            : NatsAuthOpts.Default with { Username = opts.Username, Password = opts.Password?.Read() };
    }

    /// <summary>
    /// The seed in the file, and its public key: the file's own (as <c>nk -gen user -pubout</c>
    /// writes it) or, for a file with the seed alone, derived from it, as nats.go does.
    /// </summary>
    private static (string PublicKey, string Seed) NKeyFromFile(string path)
    {
        var lines = File.ReadAllLines(path).Select(line => line.Trim()).ToList();
        var seed = lines.FirstOrDefault(line => line.StartsWith("SU", StringComparison.Ordinal))
            ?? throw new BrokerDeniedException($"Nats:NKeyFile '{path}' holds no user seed (a line starting SU)");
        var publicKey = lines.FirstOrDefault(line => line.StartsWith('U'));
        if (publicKey is null)
        {
            using var pair = NATS.NKeys.KeyPair.FromSeed(seed);
            publicKey = pair.GetPublicKey();
        }

        return (publicKey, seed);
    }

    private static string AuthName(NatsSinkOpts opts) =>
        opts.CredsFile is not null ? "Nats:CredsFile"
        : opts.NKeyFile is not null ? "Nats:NKeyFile"
        : opts.Token is not null ? "Nats:Token"
        : opts.Username is not null || opts.Password is not null ? $"user {opts.Username}" : "no credentials";

    private static string Messages(Exception error)
    {
        var text = new System.Text.StringBuilder();
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            text.Append(current.Message).Append(' ');
        }

        return text.ToString();
    }
}
