namespace NetTrace.Analyzer.Model;

/// <summary>
/// Frame counts. A frame counts once per protocol if the protocol appears at any layer
/// (tunnels' inner packets included), the way tshark's display filters count.
/// </summary>
public sealed record CaptureSummary
{
    public long Frames { get; init; }
    public long Ipv4 { get; init; }
    public long Ipv6 { get; init; }
    public long Tcp { get; init; }
    public long Udp { get; init; }
    public long Icmp { get; init; }
    public long Icmpv6 { get; init; }
    public long TcpStreams { get; init; }
    public long Syn { get; init; }
    public long SynAck { get; init; }
    public long Rst { get; init; }
    public long SynRetransmits { get; init; }
    public long Malformed { get; init; }
    /// <summary>Frames whose headers the snaplen cut before the analysis had what it needed (not malformed).</summary>
    public long CutBySnaplen { get; init; }
    /// <summary>Frames of link types the decoder does not understand (counted in Frames only).</summary>
    public long UnsupportedLinkType { get; init; }
    public long Vlan { get; init; }
    public long Vxlan { get; init; }
    public long Gre { get; init; }
    public long IpInIp { get; init; }
}
