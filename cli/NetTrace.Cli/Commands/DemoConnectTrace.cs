using System.Net;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Session;

namespace NetTrace.Cli.Commands;

/// <summary>What the tcpconnect probe saw of connects to one server: the clients' kernels' own account of the race.</summary>
public sealed record DemoConnectCounts(int Completed, int WithSynRetransmit, ulong LostEvents);

/// <summary>
/// The tcpconnect eBPF probe (every namespace, kernel-filtered to the lab server's port) polled on its own thread
/// while the demo's lab runs; connects to other addresses on that port are ignored.
/// </summary>
public sealed class DemoConnectTrace : IDisposable, ITraceEventSink
{
    private readonly IPAddress _server;
    private readonly TraceSession _session;
    private readonly Thread _poller;
    private volatile bool _stop;
    private Exception? _error;
    private int _completed, _retransmitted;

    public DemoConnectTrace(IPAddress server, ushort port)
    {
        _server = server;
        _session = TraceSession.Start(new TraceSessionOptions { Probes = ProbeKinds.TcpConnect, Ports = [port], RingBufferBytes = 4 << 20 }, this);
        _poller = new Thread(() =>
        {
            try { while (!_stop) _session.Poll(50); _session.Poll(0); }
            catch (Exception e) { _error = e; }
        }) { IsBackground = true, Name = "demo-tcpconnect-poll" };
        _poller.Start();
    }

    public DemoConnectCounts Stop()
    {
        _stop = true;
        _poller.Join();
        if (_error != null) throw new InvalidOperationException($"tcpconnect probe failed while polling: {_error.Message}", _error);
        return new DemoConnectCounts(_completed, _retransmitted, _session.LostEvents.Values.Aggregate(0UL, (a, b) => a + b));
    }

    public void OnTcpConnect(in TcpConnectEvent e)
    {
        if (!e.Destination.Equals(_server) || e.Kind == TcpConnectKind.Start || e.Kind == TcpConnectKind.SynRetransmit) return;
        _completed++;
        if (e.SynRetransmits > 0) _retransmitted++;
    }

    public void OnIcmpEcho(in IcmpEchoEvent e) { }
    public void OnDrop(in DropEvent e) { }
    public void OnSoftirq(in SoftirqEvent e) { }

    public void Dispose()
    {
        _stop = true;
        _poller.Join();
        _session.Dispose();
    }
}
