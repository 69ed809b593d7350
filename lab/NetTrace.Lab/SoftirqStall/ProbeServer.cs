using System.Net;
using System.Net.Sockets;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// The service in the server namespace: a TCP listener whose SYN-ACKs the probes time. Accepted connections are
/// closed at once (the probes only need the handshake); accepting keeps the accept queue from filling, which would
/// make the kernel drop SYNs and turn stalls into 1 s retransmits.
/// </summary>
internal sealed class ProbeServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Thread _acceptor;
    private volatile bool _stop;

    public ProbeServer(SoftirqStallTopology topo, int port)
    {
        _listener = topo.Server.RunInsideAsync(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Any, port));
            s.Listen(4096);
            return s;
        }).GetAwaiter().GetResult();
        _acceptor = new Thread(Accept) { IsBackground = true, Name = "softirq-lab-accept" };
        _acceptor.Start();
    }

    private void Accept()
    {
        while (!_stop)
        {
            try { _listener.Accept().Dispose(); }
            catch (SocketException) when (_stop) { return; }
            catch (SocketException) { }          // a reset before accept: the probe already closed
            catch (ObjectDisposedException) { return; }
        }
    }

    public void Dispose()
    {
        _stop = true;
        // shutdown() wakes the blocked accept() on Linux; close alone would not.
        try { _listener.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _listener.Dispose();
        _acceptor.Join(TimeSpan.FromSeconds(2));
    }
}
