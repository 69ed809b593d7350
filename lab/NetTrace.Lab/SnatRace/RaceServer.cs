using System.Net;
using System.Net.Sockets;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Lab.SnatRace;

/// <summary>
/// The "external service": a listener created inside the server namespace (a socket keeps the namespace it was
/// created in), accepting and closing every connection so the accept queue never overflows — an overflowing queue
/// would drop SYNs too and blur the measurement.
/// </summary>
internal sealed class RaceServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    public long Accepted;

    public RaceServer(string netnsPath, IPEndPoint endpoint)
    {
        _listener = NetnsThread.Run(netnsPath, () =>
        {
            var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(endpoint);
            l.Listen(4096);
            return l;
        });
        _loop = Task.Run(AcceptLoop);
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var c = await _listener.AcceptAsync(_stop.Token);
                Interlocked.Increment(ref Accepted);
                c.Dispose();
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { /* a peer reset before accept: keep serving */ }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop; } catch { /* loop ends on cancel */ }
        _listener.Dispose();
        _stop.Dispose();
    }
}
