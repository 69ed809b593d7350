using NetTrace.Events;

namespace NetTrace.Tracer.Trace;

/// <summary>The production <see cref="ITraceEventSource"/>: the kernel TraceSession, its events mapped to the event model.</summary>
public sealed partial class KernelEventSource : ITraceEventSource
{
    public static ITraceEventSource Start(TraceRequest request) =>
        throw new NotImplementedException("waiting for the kernel session API");

    public IReadOnlyList<ProbeChoice> Probes => [];
    public IReadOnlyDictionary<string, ulong> Lost => new Dictionary<string, ulong>();
    public IReadOnlyDictionary<string, ulong> Delivered => new Dictionary<string, ulong>();
    public void Poll(int timeoutMs, Action<TraceEvent> emit) { }
    public void Collect(Action<TraceEvent> emit) { }
    public void Dispose() { }
}
