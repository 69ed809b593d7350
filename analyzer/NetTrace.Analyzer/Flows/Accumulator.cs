using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Flows;

/// <summary>Collects results of all inputs of one run; turned into the immutable AnalysisResult at the end.</summary>
internal sealed class Accumulator
{
    public long Frames, Ipv4, Ipv6, Tcp, Udp, Icmp, Icmpv6, TcpStreams, Syn, SynAck, Rst, SynRetransmits, Malformed;
    public long CutBySnaplen, UnsupportedLinkType, Vlan, Vxlan, Gre, IpInIp;
    public readonly List<SourceInfo> Sources = [];
    public readonly SegmentedList<Handshake> Handshakes = new();
    public readonly List<IcmpEcho> IcmpEchoes = [];
    public readonly SegmentedList<FlowStats> Flows = new();
    public readonly List<Finding> Findings = [];
    public readonly List<InputProblem> Problems = [];
    public readonly List<StallAnalysis> Stalls = [];

    /// <summary>One stall analysis for the run: the inputs' lists joined (null when no input looked for stalls).</summary>
    public StallAnalysis? MergedStalls() => Stalls.Count switch
    {
        0 => null,
        1 => Stalls[0],
        _ => new StallAnalysis
        {
            Stalls = Stalls.SelectMany(s => s.Stalls).OrderBy(w => w.Start).ToList(),
            Queues = Stalls.SelectMany(s => s.Queues).ToList(),
            CpuDelay = Stalls.SelectMany(s => s.CpuDelay).ToList(),
            Timeline = Stalls.SelectMany(s => s.Timeline).OrderBy(p => p.Time).ToList(),
            Rss = Stalls.Select(s => s.Rss).FirstOrDefault(r => r != null),
        },
    };

    public void Add(CaptureSummary s)
    {
        Frames += s.Frames; Ipv4 += s.Ipv4; Ipv6 += s.Ipv6; Tcp += s.Tcp; Udp += s.Udp; Icmp += s.Icmp; Icmpv6 += s.Icmpv6;
        TcpStreams += s.TcpStreams; Syn += s.Syn; SynAck += s.SynAck; Rst += s.Rst; SynRetransmits += s.SynRetransmits;
        Malformed += s.Malformed; CutBySnaplen += s.CutBySnaplen; UnsupportedLinkType += s.UnsupportedLinkType;
        Vlan += s.Vlan; Vxlan += s.Vxlan; Gre += s.Gre; IpInIp += s.IpInIp;
    }

    public CaptureSummary Summary() => new()
    {
        Frames = Frames, Ipv4 = Ipv4, Ipv6 = Ipv6, Tcp = Tcp, Udp = Udp, Icmp = Icmp, Icmpv6 = Icmpv6,
        TcpStreams = TcpStreams, Syn = Syn, SynAck = SynAck, Rst = Rst, SynRetransmits = SynRetransmits,
        Malformed = Malformed, CutBySnaplen = CutBySnaplen, UnsupportedLinkType = UnsupportedLinkType,
        Vlan = Vlan, Vxlan = Vxlan, Gre = Gre, IpInIp = IpInIp,
    };
}
