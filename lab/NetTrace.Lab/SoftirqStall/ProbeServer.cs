using System.Net;
using System.Net.Sockets;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// The service in the server namespace: a TCP listener whose SYN-ACKs the probes time. Accepting keeps the accept
/// queue from filling, which would make the kernel drop SYNs and turn stalls into 1 s retransmits. Accepted
/// connections are closed only a second later, after the client's RST: a close right away would send a FIN from
/// whatever CPU this thread runs on, and the client would record that CPU as the flow's (SO_INCOMING_CPU).
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
        var held = new Queue<(Socket Socket, long At)>();
        try
        {
            while (!_stop)
            {
                long now = System.Diagnostics.Stopwatch.GetTimestamp();
                while (held.Count > 0 && now - held.Peek().At > System.Diagnostics.Stopwatch.Frequency) held.Dequeue().Socket.Dispose();
                try
                {
                    if (!_listener.Poll(100_000, SelectMode.SelectRead)) continue;
                    held.Enqueue((_listener.Accept(), now));
                }
                catch (SocketException) when (_stop) { return; }
                catch (SocketException) { }          // a reset before accept: the probe already closed
            }
        }
        catch (ObjectDisposedException) { }
        finally
        {
            foreach (var (s, _) in held) s.Dispose();
        }
    }

    public void Dispose()
    {
        _stop = true;
        _acceptor.Join(TimeSpan.FromSeconds(2));   // polls every 100 ms
        _listener.Dispose();
    }
}
