using System.Collections.Concurrent;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Session;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>Keeps every event the session delivers.</summary>
internal sealed class CollectingSink : ITraceEventSink
{
    public readonly List<TcpConnectEvent> Connects = [];
    public readonly List<IcmpEchoEvent> Echoes = [];
    public readonly List<DropEvent> Drops = [];
    public readonly List<SoftirqEvent> Softirqs = [];

    public void OnTcpConnect(in TcpConnectEvent e) => Connects.Add(e);
    public void OnIcmpEcho(in IcmpEchoEvent e) => Echoes.Add(e);
    public void OnDrop(in DropEvent e) => Drops.Add(e);
    public void OnSoftirq(in SoftirqEvent e) => Softirqs.Add(e);

    /// <summary>Polls until <paramref name="done"/> holds or the time is up.</summary>
    public static void PollUntil(TraceSession s, Func<bool> done, TimeSpan max)
    {
        var end = DateTime.UtcNow + max;
        while (!done() && DateTime.UtcNow < end) s.Poll(50);
        s.Poll(0);
    }
}
