using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>Late replies of one host's probes released together: one stall as the capture shows it.</summary>
internal sealed class Burst(ProbeView view, ProbeView.Segment segment, int[] members)
{
    public ProbeView View { get; } = view;
    public ProbeView.Segment Segment { get; } = segment;
    /// <summary>Indices into the probe array, by request time.</summary>
    public int[] Members { get; } = members;
    public double Start, End, MaxExtraMs;
    public StallScope Scope;
    public int? Queue;
    public StalledSide Side;
    /// <summary>How cleanly the queue hypothesis separated held from passing probes (1 = perfectly).</summary>
    public double Score;
    /// <summary>The host whose queue (or whole self) stalled, as text; null when only "the capture's host" is known.</summary>
    public string? Host;
    /// <summary>Probes sent while the stall lasted that were not held (they hashed elsewhere), by kind.</summary>
    public int IcmpFine, TcpFine;
    public int IcmpDelayed, TcpDelayed;

    public string HostText => Host ?? (Side == StalledSide.Requester ? "the capturing host (requester side)" : "the capturing host (responder side)");
}
