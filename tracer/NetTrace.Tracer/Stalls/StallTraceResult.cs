using NetTrace.Analyzer.Model;
using NetTrace.Events;

namespace NetTrace.Tracer.Stalls;

/// <summary>What a <see cref="StallTrace"/> saw: the stall windows (per CPU, with holder, run context, packets),
/// the findings ("softirq-stall" per CPU, "vm-pause"), and how complete the data is.</summary>
public sealed record StallTraceResult(
    StallAnalysis Stalls,
    IReadOnlyList<Finding> Findings,
    /// <summary>Events the kernel could not hand over, per probe ("softirq", "rx-latency", "cpu-gaps"). Non-zero lowers the findings' confidence.</summary>
    IReadOnlyDictionary<string, ulong> Lost,
    /// <summary>Which probes attached and how (or why not).</summary>
    IReadOnlyList<ProbeChoice> Probes,
    /// <summary>Every event the session produced, in order (stall events, per-interval histograms, gaps, lost counts).</summary>
    IReadOnlyList<TraceEvent> Events,
    long EventsDropped,
    TimeSpan Duration)
{
    public ulong TotalLost => Lost.Values.Aggregate(0UL, (a, b) => a + b);
}
