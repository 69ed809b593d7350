using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>Late replies of one host pair released together: one stall as the capture shows it.</summary>
internal sealed class Burst(ProbeGroup group, int[] members)
{
    public ProbeGroup Group { get; } = group;
    /// <summary>Indices into the probe array, by request time.</summary>
    public int[] Members { get; } = members;
    public double Start, End, MaxExtraMs;
    public StallScope Scope;
    public int? Queue;
    public StalledSide Side;
    /// <summary>Probes sent while the stall lasted that were not held (they hashed elsewhere), by kind.</summary>
    public int IcmpFine, TcpFine;
    public int IcmpDelayed, TcpDelayed;
}
