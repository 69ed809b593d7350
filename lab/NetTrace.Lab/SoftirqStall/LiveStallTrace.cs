using NetTrace.Lab.SnatRace;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Session;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>A NET_RX softirq that waited past the threshold, as the live eBPF tracing saw it.</summary>
/// <param name="RaisedBy">the task on the CPU when NET_RX was raised and not served</param>
/// <param name="RanIn">the task in whose context it finally ran (or ksoftirqd/N)</param>
public sealed record LiveSoftirqDelay(int Cpu, double RaiseUnixSeconds, double EntryUnixSeconds, double DelayMs,
    string RaisedBy, int RaisedByPid, string RanIn, int RanInPid, bool InKsoftirqd);

/// <summary>
/// The project's NET_RX softirq probe (tp_btf softirq_raise/entry/exit, per-CPU state in the kernel) running for the
/// lab's duration, polled on its own thread. Every CPU is watched: the lab's claim is that only the stall CPU shows
/// the stalls.
/// </summary>
internal sealed class LiveStallTrace : IDisposable, ITraceEventSink
{
    private readonly TraceSession _session;
    private readonly List<LiveSoftirqDelay> _delays = [];
    private readonly Thread _poller;
    private volatile bool _stop;
    private Exception? _error;

    public LiveStallTrace(double thresholdMs)
    {
        _session = TraceSession.Start(new TraceSessionOptions
        {
            Probes = ProbeKinds.Softirq,
            SoftirqThreshold = TimeSpan.FromMilliseconds(thresholdMs),
            WakeupBytes = 0,
        }, this);
        Attach = string.Join(", ", _session.Plan.SelectMany(p => p.Hooks).Where(h => h.Chosen != null).Select(h => h.Chosen!.Describe()));
        _poller = new Thread(() =>
        {
            try { while (!_stop) _session.Poll(50); _session.Poll(0); }
            catch (Exception e) { _error = e; }
        }) { IsBackground = true, Name = "softirq-lab-trace" };
        _poller.Start();
    }

    public string Attach { get; }

    void ITraceEventSink.OnSoftirq(in SoftirqEvent e)
    {
        if (e.Kind != SoftirqEventKind.Delay) return;
        var entry = Unix(e.Header.TimestampNs);
        _delays.Add(new LiveSoftirqDelay(e.Header.Cpu, Unix(e.RaisedAtNs), entry, e.DelayNs / 1e6,
            e.RaisedByComm, e.RaisedByPid, e.Header.Comm, e.Header.Pid, e.InKsoftirqd));
    }

    void ITraceEventSink.OnTcpConnect(in TcpConnectEvent e) { }
    void ITraceEventSink.OnIcmpEcho(in IcmpEchoEvent e) { }
    void ITraceEventSink.OnDrop(in DropEvent e) { }

    private double Unix(ulong monotonicNs) => (_session.MonotonicToUtc(monotonicNs) - DateTime.UnixEpoch).Ticks / 1e7;

    /// <summary>Stops polling after draining the ring buffer; returns the delays and the events the kernel lost.</summary>
    public (IReadOnlyList<LiveSoftirqDelay> Delays, ulong Lost) Stop()
    {
        _stop = true;
        _poller.Join();
        if (_error != null) throw new LabException($"softirq trace failed while polling: {_error.Message}");
        var lost = _session.LostEvents.Values.Aggregate(0UL, (a, b) => a + b);
        return (_delays.ToList(), lost);
    }

    public void Dispose()
    {
        _stop = true;
        _poller.Join();
        _session.Dispose();
    }
}
