using System.Net;
using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Detectors;

/// <summary>A handshake with its endpoints parsed and every SYN's time, as the SNAT race detectors need them.</summary>
internal sealed record SnatRaceTcp(Handshake H, IPEndPoint Client, IPEndPoint Server, double[] SynTimes)
{
    public double FirstSyn => SynTimes[0];
    public double LastSyn => SynTimes[^1];

    /// <summary>The first SYN got no answer, the next one went out one initial RTO (1 s / 3 s) later, and that one was
    /// answered at once: the path and the server were fine, only that first SYN was lost.</summary>
    public bool LostFirstSynThenRecovered
    {
        get
        {
            var h = H;
            if (h.SynRetransmits < 1 || h.SynRetransmitGapsMicros.Count == 0) return false;
            if (!FindingsBuilder.IsInitialRtoGap(h.SynRetransmitGapsMicros[0])) return false;
            if (h.Outcome != HandshakeOutcome.Established || h.SynAckRttMicros is not double rtt) return false;
            // Answered after the last SYN, quickly: rtt is measured from the first SYN.
            double afterLast = rtt - (LastSyn - FirstSyn) * 1e6;
            return afterLast is >= 0 and < 200_000;
        }
    }

    public static SnatRaceTcp? From(Handshake h)
    {
        if (!IPEndPoint.TryParse(h.Client, out var c) || !IPEndPoint.TryParse(h.Server, out var s)) return null;
        var times = new double[h.SynRetransmitGapsMicros.Count + 1];
        times[0] = h.SynTime;
        for (int i = 0; i < h.SynRetransmitGapsMicros.Count; i++) times[i + 1] = times[i] + h.SynRetransmitGapsMicros[i] / 1e6;
        return new SnatRaceTcp(h, c, s, times);
    }
}
