using NetTrace.Analyzer.Decode;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// One request→reply measurement the detector judges: a SYN→SYN-ACK (or RST) or an echo request→reply. At the
/// sender it is a round trip; at the receiver (requests stamped on arrival, before any stall) the responder's time.
/// </summary>
internal struct Probe
{
    /// <summary>Index of the (requester, responder) pair: its baseline latency.</summary>
    public int Pair;
    /// <summary>Ids of the requester's and the responder's address.</summary>
    public int RequesterHost, ResponderHost;
    /// <summary>Handshake index (&gt;= 0) or ~echo index.</summary>
    public int Source;
    public double Time;          // request, Unix seconds
    public double LatencyMs;
    public double ExtraMs;       // above the pair's baseline
    /// <summary>The RX queue of the request as it arrives at the responder, and of the reply at the requester.</summary>
    public int QueueAtResponder, QueueAtRequester;
    public bool Icmp;
    public bool Late;
    /// <summary>Marks a candidate's probes while bursts are judged; afterwards, the probes held by a reported stall.</summary>
    public bool InStall;

    public readonly double Release => Time + LatencyMs / 1000;
}

/// <summary>Which host's RX queue held the packets: the responder's (requests waited) or the requester's (replies waited).</summary>
internal enum StalledSide : byte { Responder, Requester }

/// <summary>A requester→responder pair: the baseline its probes are judged against, and where its stalls pointed.</summary>
internal sealed class ProbePair(int index, IpAddr requester, IpAddr responder)
{
    public int Index { get; } = index;
    public IpAddr Requester { get; } = requester;
    public IpAddr Responder { get; } = responder;
    public double IcmpBaselineMs = double.NaN, TcpBaselineMs = double.NaN;
    public StalledSide Side = StalledSide.Responder;
}
