using NetTrace.Lab.SnatRace;
using NetTrace.Tracer.Stalls;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// The project's live stall tracing (<see cref="StallTrace"/>: NET_RX raise→entry per CPU with the holding task,
/// per-packet receive latency in the server namespace, per-CPU clock gaps) running for the lab's duration. Every
/// CPU is reported: the lab's claim is that only the stall CPU shows the stalls.
/// </summary>
internal sealed class LiveStallTrace : IDisposable
{
    private readonly StallTrace _trace;

    public LiveStallTrace(double thresholdMs, ulong serverNetnsInode)
    {
        _trace = StallTrace.Start(new StallTraceOptions
        {
            StallThreshold = TimeSpan.FromMilliseconds(thresholdMs),
            NetnsInode = checked((uint)serverNetnsInode),
        });
        Attach = string.Join("; ", _trace.Probes.Where(p => p.Attached).Select(p => $"{p.Probe}: {p.Attach}"));
    }

    public string Attach { get; }

    /// <summary>Detaches and analyses: stall windows, findings and lost counts.</summary>
    public StallTraceResult Stop()
    {
        try { return _trace.Stop(); }
        catch (InvalidOperationException e) { throw new LabException(e.Message); }
    }

    public void Dispose() => _trace.Dispose();
}
