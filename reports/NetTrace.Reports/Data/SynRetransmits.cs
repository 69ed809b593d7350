using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>Why a SYN was sent again, judged by when.</summary>
public enum RetransmitKind
{
    /// <summary>First retransmission about 1 s after the SYN: Linux's initial RTO, the SNAT-race signature.</summary>
    InitialRto1s,
    /// <summary>First retransmission about 3 s after the SYN: the initial RTO of older stacks (RFC 1122).</summary>
    InitialRto3s,
    FirstOtherGap,
    /// <summary>Second and later retransmissions: exponential backoff.</summary>
    Backoff,
    GapUnknown,
}

public readonly record struct SynRetransmit(double Time, double GapMicros, RetransmitKind Kind);

public static class SynRetransmits
{
    public static string Label(RetransmitKind k) => k switch
    {
        RetransmitKind.InitialRto1s => "1st retransmit at ≈1 s (initial RTO)",
        RetransmitKind.InitialRto3s => "1st retransmit at ≈3 s (old initial RTO)",
        RetransmitKind.FirstOtherGap => "1st retransmit, other gap",
        RetransmitKind.Backoff => "later retransmits (backoff)",
        _ => "gap unknown",
    };

    /// <summary>Every retransmitted SYN with its send time (first SYN plus the gaps before it).</summary>
    public static List<SynRetransmit> From(IReadOnlyList<Handshake> handshakes)
    {
        var list = new List<SynRetransmit>();
        foreach (var h in handshakes)
        {
            if (h.SynRetransmits <= 0 && h.SynRetransmitGapsMicros.Count == 0) continue;
            double t = h.SynTime;
            var gaps = h.SynRetransmitGapsMicros;
            for (int i = 0; i < gaps.Count; i++)
            {
                t += gaps[i] / 1e6;
                list.Add(new SynRetransmit(t, gaps[i], Classify(i, gaps[i])));
            }
            // Counted but without timing (e.g. from a recording that only kept the count).
            for (int i = gaps.Count; i < h.SynRetransmits; i++)
                list.Add(new SynRetransmit(h.SynTime, double.NaN, RetransmitKind.GapUnknown));
        }
        return list;
    }

    public static RetransmitKind Classify(int index, double gapMicros)
    {
        if (!double.IsFinite(gapMicros)) return RetransmitKind.GapUnknown;
        if (index > 0) return RetransmitKind.Backoff;
        double s = gapMicros / 1e6;
        if (s is >= 0.8 and < 1.5) return RetransmitKind.InitialRto1s;
        if (s is >= 2.5 and < 3.5) return RetransmitKind.InitialRto3s;
        return RetransmitKind.FirstOtherGap;
    }
}
