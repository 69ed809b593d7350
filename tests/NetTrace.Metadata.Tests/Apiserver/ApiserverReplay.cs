using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NetTrace.Metadata.Tests.Apiserver;

/// <summary>
/// A local stand-in for kube-apiserver on 127.0.0.1 that replays recorded JSON. Each route (path, and whether it
/// is a watch) has a script of responses served in order; the last list response repeats, and a watch whose script
/// is used up stays open and silent, as an idle real watch does. A step may wait for a gate so a test can check the
/// client's state between phases. Every request is recorded with its query and Authorization header.
/// </summary>
internal sealed class ApiserverReplay : IAsyncDisposable
{
    public sealed record Request(string Path, bool Watch, IReadOnlyDictionary<string, string> Query, string? Authorization);

    private sealed record Step(int Status, string Body, bool Lines, Task Gate);

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Step>> _script = new();
    private readonly ConcurrentDictionary<string, Step> _lastList = new();
    private readonly List<Task> _handlers = [];
    private readonly Task _acceptLoop;

    public Uri Address { get; }
    public ConcurrentQueue<Request> Requests { get; } = new();

    public ApiserverReplay()
    {
        // HttpListener needs a concrete port: take a free one from the kernel, then bind it (retry on a race).
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            try
            {
                _listener.Prefixes.Clear();
                _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                _listener.Start();
                Address = new Uri($"http://127.0.0.1:{port}");
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public void List(string path, string fixtureFile, Task? gate = null) =>
        Enqueue(path, false, new Step(200, Fixture(fixtureFile), false, gate ?? Task.CompletedTask));

    public void Watch(string path, string fixtureFile, Task? gate = null) =>
        Enqueue(path, true, new Step(200, Fixture(fixtureFile), true, gate ?? Task.CompletedTask));

    public void Fail(string path, bool watch, int status, string statusJson) =>
        Enqueue(path, watch, new Step(status, statusJson, false, Task.CompletedTask));

    public IReadOnlyList<Request> RequestsTo(string path, bool watch) => Requests.Where(r => r.Path == path && r.Watch == watch).ToList();

    public string WriteKubeconfig(string dir, string token = "replay-token")
    {
        var path = Path.Combine(dir, "kubeconfig");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: replay
              cluster:
                server: {Address.ToString().TrimEnd('/')}
            users:
            - name: nettrace
              user:
                token: {token}
            contexts:
            - name: replay
              context:
                cluster: replay
                user: nettrace
            current-context: replay
            """);
        return path;
    }

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver", name));

    private void Enqueue(string path, bool watch, Step step) => _script.GetOrAdd(Key(path, watch), _ => new()).Enqueue(step);

    private static string Key(string path, bool watch) => (watch ? "watch " : "list ") + path;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            lock (_handlers) _handlers.Add(Task.Run(() => HandleAsync(context)));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            var query = request.QueryString.AllKeys.Where(k => k != null).ToDictionary(k => k!, k => request.QueryString[k] ?? "");
            var watch = query.TryGetValue("watch", out var w) && w is "true" or "1";
            var path = request.Url!.AbsolutePath;
            Requests.Enqueue(new Request(path, watch, query, request.Headers["Authorization"]));

            var key = Key(path, watch);
            Step? step = null;
            if (_script.TryGetValue(key, out var queue) && queue.TryDequeue(out var next)) step = next;
            if (step == null && !watch) _lastList.TryGetValue(key, out step);
            if (step != null && !watch && step.Status == 200) _lastList[key] = step;

            if (step == null && watch)
            {
                // An idle watch: headers now, then nothing until the client or the test goes away.
                response.StatusCode = 200;
                response.ContentType = "application/json";
                response.SendChunked = true;
                await response.OutputStream.FlushAsync(_stop.Token);
                await Task.Delay(Timeout.Infinite, _stop.Token);
                return;
            }
            if (step == null)
            {
                await WriteAsync(response, 404, $$"""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"no replay for {{path}}","reason":"NotFound","code":404}""");
                return;
            }
            await step.Gate.WaitAsync(_stop.Token);
            if (!step.Lines)
            {
                await WriteAsync(response, step.Status, step.Body);
                return;
            }
            response.StatusCode = step.Status;
            response.ContentType = "application/json";
            response.SendChunked = true;
            foreach (var line in step.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var bytes = Encoding.UTF8.GetBytes(line + "\n");
                await response.OutputStream.WriteAsync(bytes, _stop.Token);
                await response.OutputStream.FlushAsync(_stop.Token);
            }
            response.Close();   // the stream ends: the client must resume or relist
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (HttpListenerException)
        {
            // the client went away
        }
        finally
        {
            try { response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, int status, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            // Close alone: Stop then Close would re-bind the port to remove the prefix again, racing other tests.
            _listener.Close();
        }
        catch (HttpListenerException)
        {
        }
        try { await _acceptLoop; } catch (Exception) { }
        Task[] handlers;
        lock (_handlers) handlers = [.. _handlers];
        await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _stop.Dispose();
    }
}
