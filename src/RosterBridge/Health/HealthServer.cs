using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace RosterBridge.Health;

/// <summary>
/// <c>/healthz</c>: the process is alive. <c>/readyz</c>: 200 when the daemon is synced and every
/// sink is connected with nothing pending, else 503; both with a JSON body saying what is missing.
/// <c>/metrics</c>: the Prometheus text format, from OpenTelemetry's exporter, when given a meter provider.
/// On Kestrel, in its slimmest form (no HTTPS, no configuration, no logging of its own): the
/// HttpListener of .NET on Linux takes no IPv6 address, and cannot listen on a single one.
/// </summary>
internal sealed class HealthServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILogger _log;
    private readonly Func<Readiness> _readiness;
    private bool _started;

    /// <param name="metrics">What <c>/metrics</c> serves; without it there is no <c>/metrics</c>.</param>
    public HealthServer(string address, int port, Func<Readiness> readiness, ILogger log, MeterProvider? metrics = null)
    {
        _readiness = readiness;
        _log = log;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            switch (address)
            {
                case "*" or "+" or "0.0.0.0" or "::":
                    kestrel.ListenAnyIP(port);
                    break;
                case "localhost":
                    kestrel.ListenLocalhost(port);
                    break;
                default:
                    kestrel.Listen(IPAddress.Parse(address), port);
                    break;
            }
        });
        _app = builder.Build();
        if (metrics is not null)
        {
            _app.UseOpenTelemetryPrometheusScrapingEndpoint(metrics, context => context.Request.Path == "/metrics", path: null, configureBranchedPipeline: null, optionsName: null);
        }

        _app.Run(RespondAsync);
    }

    /// <summary>The host to ask for <c>/readyz</c> on this machine: the loopback when the server takes every address, an IPv6 address in brackets.</summary>
    public static string AskHost(string address) => address switch
    {
        "0.0.0.0" or "*" or "::" or "+" => "127.0.0.1",
        _ when IPAddress.TryParse(address, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 => $"[{ip}]",
        _ => address,
    };

    /// <summary>Listens; throws <see cref="IOException"/> when the address cannot be had (in use, not this machine's).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken);
        _started = true;
    }

    public void Start() => StartAsync(CancellationToken.None).GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            // Bounded: a probe that hangs on its connection does not hold up the bridge's stop.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
    }

    private async Task RespondAsync(HttpContext context)
    {
        (int status, string body) = context.Request.Path.Value switch
        {
            "/healthz" => (200, "{\"alive\":true}"),
            "/readyz" => ReadyBody(),
            _ => (404, "{\"error\":\"not found: try /healthz, /readyz or /metrics\"}"),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        try
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            _log.LogDebug("health: the client went away");
        }
    }

    private (int Status, string Body) ReadyBody()
    {
        var readiness = _readiness();
        return (readiness.IsReady ? 200 : 503, readiness.ToJson());
    }
}
