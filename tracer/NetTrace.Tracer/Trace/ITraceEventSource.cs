using NetTrace.Events;

namespace NetTrace.Tracer.Trace;

/// <summary>
/// Where the runner gets events: the kernel session in production (<see cref="KernelEventSource"/>), a scripted
/// source in unit tests. Members are never called concurrently (the poll thread, then the runner's final collect).
/// </summary>
public interface ITraceEventSource : IDisposable
{
    /// <summary>What was attached, for the session header.</summary>
    IReadOnlyList<ProbeChoice> Probes { get; }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for ring-buffer events and hands each to <paramref name="emit"/>.</summary>
    void Poll(int timeoutMs, Action<TraceEvent> emit);

    /// <summary>Reads what the kernel aggregates in maps (send stats, softirq histograms) and emits it.</summary>
    void Collect(Action<TraceEvent> emit);

    /// <summary>Cumulative events lost per probe (ring buffer reserve failures counted in the kernel).</summary>
    IReadOnlyDictionary<string, ulong> Lost { get; }

    /// <summary>Cumulative events delivered per probe.</summary>
    IReadOnlyDictionary<string, ulong> Delivered { get; }
}
