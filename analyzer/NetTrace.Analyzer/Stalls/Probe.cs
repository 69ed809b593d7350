using NetTrace.Analyzer.Decode;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// One request→reply measurement the detector judges: a SYN→SYN-ACK (or RST) or an echo request→reply. At the
/// sender it is a round trip; at the receiver (requests stamped on arrival, before any stall) the responder's time.
/// </summary>
internal struct Probe
{
    /// <summary>Index of the (requester, responder) pair.</summary>
    public int Group;
    /// <summary>Handshake index (&gt;= 0) or ~echo index.</summary>
    public int Source;
    public double Time;          // request, Unix seconds
    public double LatencyMs;
    public double ExtraMs;       // above the pair's baseline
    /// <summary>The RX queue of the request as it arrives at the responder, and of the reply at the requester.</summary>
    public int QueueAtResponder, QueueAtRequester;
    public bool Icmp;
    public bool Late;
    public bool InStall;

    public readonly double Release => Time + LatencyMs / 1000;
}

/// <summary>Which host's RX queue held the packets: the responder's (requests waited) or the requester's (replies waited).</summary>
internal enum StalledSide : byte { Responder, Requester }

internal sealed class ProbeGroup(int index, IpAddr requester, IpAddr responder)
{
    public int Index { get; } = index;
    public IpAddr Requester { get; } = requester;
    public IpAddr Responder { get; } = responder;
    public double IcmpBaselineMs = double.NaN, TcpBaselineMs = double.NaN;
    public StalledSide Side = StalledSide.Responder;
    public int Start, End;     // its probes in the sorted array
    public IpAddr StalledHost => Side == StalledSide.Responder ? Responder : Requester;
}
