namespace NetTrace.Lab.SoftirqStall;

/// <summary>What the probes saw around one stall the lab caused.</summary>
public sealed record StallImpact(
    int Stall,
    int StalledIcmpDelayed, int StalledTcpDelayed,
    int ControlIcmpDelayed, int ControlTcpDelayed,
    double StalledMaxLatencyMs, double ControlMaxLatencyMs,
    /// <summary>Delayed stalled-path replies that came back within 1 ms of the first one: the backlog released as one burst.</summary>
    int BurstReplies)
{
    /// <summary>Stalled-path probes sent before the stall ended and answered after it began. Zero means the prober
    /// itself got no CPU around this stall (a loaded machine), so the stall could not be observed by probes.</summary>
    public int StalledProbesInFlight { get; init; }
}

/// <summary>
/// Judges the probes against the stalls: the baseline comes from the probes sent before the first stall; a probe is
/// delayed when its latency is more than 1 ms above the baseline median (a veth round trip takes ~0.03 ms here; the
/// median, not the p99, so that someone else's stall during the baseline cannot raise the bar), and it
/// belongs to a stall when it was in flight while the stall ran. Delayed probes outside every stall are counted
/// too: this VM has tick gaps and whole-machine pauses of its own.
/// </summary>
public sealed record ProbeStatistics(
    double BaselineP50Ms, double BaselineP99Ms, double DelayedThresholdMs,
    IReadOnlyList<StallImpact> PerStall,
    int StalledIcmpDelayed, int StalledTcpDelayed, int ControlIcmpDelayed, int ControlTcpDelayed,
    int DelayedOutsideStalls,
    double StalledMaxExtraMs, double ControlMaxExtraMs,
    int Sent, int Lost,
    IReadOnlyList<ProbeSample> Unanswered)
{
    public static ProbeStatistics Compute(IReadOnlyList<ProbeSample> probes, IReadOnlyList<StallSample> stalls)
    {
        double firstStall = stalls.Count > 0 ? stalls.Min(s => s.StartUnixSeconds) : double.MaxValue;
        var baseline = probes.Where(p => p.LatencyMs != null && p.ReplyUnixSeconds < firstStall - 0.01)
            .Select(p => p.LatencyMs!.Value).Order().ToList();
        double p50 = Percentile(baseline, 0.50), p99 = Percentile(baseline, 0.99);
        double threshold = p50 + 1.0;
        bool Delayed(ProbeSample p) => p.LatencyMs is { } l && l > threshold;
        bool InFlight(ProbeSample p, StallSample s) =>
            p.SendUnixSeconds <= s.EndUnixSeconds && (p.ReplyUnixSeconds ?? double.MaxValue) >= s.StartUnixSeconds;

        var perStall = new List<StallImpact>();
        var attributed = new HashSet<ProbeSample>(ReferenceEqualityComparer.Instance);
        foreach (var s in stalls)
        {
            var during = probes.Where(p => InFlight(p, s)).ToList();
            var delayed = during.Where(Delayed).ToList();
            foreach (var p in delayed) attributed.Add(p);
            int Count(ProbePath path, ProbeKind kind) => delayed.Count(p => p.Path == path && p.Kind == kind);
            double Max(ProbePath path) => during.Where(p => p.Path == path && p.LatencyMs != null).Select(p => p.LatencyMs!.Value).DefaultIfEmpty(0).Max();
            // The backlog is processed at once when bottom halves come back: the delayed replies' first arrival is
            // the release, and the burst is every delayed reply within 1 ms of it.
            var releasedAt = delayed.Where(p => p.Path == ProbePath.Stalled).Select(p => p.ReplyUnixSeconds!.Value).DefaultIfEmpty(double.NaN).Min();
            int burst = delayed.Count(p => p.Path == ProbePath.Stalled && p.ReplyUnixSeconds <= releasedAt + 0.001);
            perStall.Add(new StallImpact(s.Index,
                Count(ProbePath.Stalled, ProbeKind.Icmp), Count(ProbePath.Stalled, ProbeKind.Tcp),
                Count(ProbePath.Control, ProbeKind.Icmp), Count(ProbePath.Control, ProbeKind.Tcp),
                Max(ProbePath.Stalled), Max(ProbePath.Control), burst)
            { StalledProbesInFlight = during.Count(p => p.Path == ProbePath.Stalled) });
        }
        double MaxExtra(ProbePath path) =>
            Math.Max(0, probes.Where(p => p.Path == path && p.LatencyMs != null).Select(p => p.LatencyMs!.Value).DefaultIfEmpty(p50).Max() - p50);
        return new ProbeStatistics(p50, p99, threshold, perStall,
            perStall.Sum(x => x.StalledIcmpDelayed), perStall.Sum(x => x.StalledTcpDelayed),
            perStall.Sum(x => x.ControlIcmpDelayed), perStall.Sum(x => x.ControlTcpDelayed),
            probes.Count(p => Delayed(p) && !attributed.Contains(p)),
            MaxExtra(ProbePath.Stalled), MaxExtra(ProbePath.Control),
            probes.Count, probes.Count(p => p.LatencyMs == null), probes.Where(p => p.LatencyMs == null).ToList());
    }

    internal static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1 < 0 ? 0 : (int)Math.Ceiling(q * sorted.Count) - 1)];
}
