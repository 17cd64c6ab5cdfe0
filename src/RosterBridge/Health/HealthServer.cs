using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace RosterBridge.Health;

/// <summary>
/// <c>/healthz</c>: the process is alive. <c>/readyz</c>: 200 when the daemon is synced and every
/// sink is connected with nothing pending, else 503; both with a JSON body saying what is missing.
/// </summary>
internal sealed class HealthServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<Readiness> _readiness;
    private readonly ILogger _log;
    private Task? _serving;

    public HealthServer(string address, int port, Func<Readiness> readiness, ILogger log)
    {
        var host = address is "0.0.0.0" or "*" or "::" ? "+" : address;
        _listener.Prefixes.Add($"http://{host}:{port}/");
        _readiness = readiness;
        _log = log;
    }

    public void Start()
    {
        _listener.Start();
        _serving = ServeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener.IsListening)
        {
            _listener.Stop();
        }

        if (_serving is not null)
        {
            await _serving;
        }

        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            try
            {
                Respond(context);
            }
            catch (Exception ex) when (ex is HttpListenerException or IOException)
            {
                _log.LogDebug("health: the client went away: {Error}", ex.Message);
            }
        }
    }

    private void Respond(HttpListenerContext context)
    {
        using var response = context.Response;
        var path = context.Request.Url?.AbsolutePath ?? "/";
        (int status, string body) = path switch
        {
            "/healthz" => (200, "{\"alive\":true}"),
            "/readyz" => ReadyBody(),
            _ => (404, "{\"error\":\"not found: try /healthz or /readyz\"}"),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
    }

    private (int Status, string Body) ReadyBody()
    {
        var readiness = _readiness();
        return (readiness.IsReady ? 200 : 503, readiness.ToJson());
    }
}
