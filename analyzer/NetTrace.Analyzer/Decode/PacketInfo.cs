namespace NetTrace.Analyzer.Decode;

/// <summary>Protocols seen at any layer of a frame (tunnels' inner packets and headers quoted in ICMP errors included).</summary>
[Flags]
public enum Seen : ushort
{
    None = 0,
    Ipv4 = 1, Ipv6 = 2, Tcp = 4, Udp = 8, Icmp = 16, Icmpv6 = 32,
    TcpSynOnly = 64, TcpSynAck = 128, TcpRst = 256,
    Vlan = 512, Vxlan = 1024, Gre = 2048, IpInIp = 4096,
}

/// <summary>What the flow analysis looks at: the innermost, not-quoted transport header.</summary>
public enum Transport : byte { None, Tcp, Udp, Icmp, Icmpv6, OtherIp, Fragment }

public enum TunnelKind : byte { None, Vxlan, Gre, IpIp, SixInFour }

/// <summary>The outermost tunnel a packet came through: kept with the inner packet and part of its flow key.</summary>
public readonly record struct Tunnel(TunnelKind Kind, IpAddr Src, IpAddr Dst, uint Id)
{
    public override string ToString() => Kind switch
    {
        TunnelKind.None => "",
        TunnelKind.Vxlan => $"vxlan {Src}->{Dst} vni {Id}",
        TunnelKind.Gre => Id != 0 ? $"gre {Src}->{Dst} key {Id}" : $"gre {Src}->{Dst}",
        TunnelKind.IpIp => $"ipip {Src}->{Dst}",
        TunnelKind.SixInFour => $"6in4 {Src}->{Dst}",
        _ => Kind.ToString(),
    };
}

public static class TcpFlags
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;
}

/// <summary>
/// The decoder's output for one frame: filled in place, no allocation. Fields describe the innermost packet;
/// Outer holds the outermost tunnel; VlanPath the 802.1Q ids from outside in (12 bits each).
/// </summary>
public struct PacketInfo
{
    public Seen Seen;
    public Transport L4;
    public IpAddr Src, Dst;
    public ushort SrcPort, DstPort;
    public byte IpProto;
    public byte TcpFlagBits;
    /// <summary>False when only the ports of a TCP header were captured.</summary>
    public bool TcpFlagsKnown;
    public uint Seq, Ack;
    public int PayloadLength;
    public byte IcmpType;
    public ushort IcmpId, IcmpSeq;
    public ulong VlanPath;
    public Tunnel Outer;
    /// <summary>A header contradicts itself or the frame length (not merely cut by the snaplen).</summary>
    public bool Malformed;
    /// <summary>Why it is malformed (a string literal, never built per packet).</summary>
    public string? MalformedReason;
    /// <summary>The snaplen cut a header the analysis needed.</summary>
    public bool CutBySnaplen;
    public bool UnsupportedLinkType;

    public void Reset() => this = default;

    public void SetMalformed(string reason)
    {
        if (!Malformed) MalformedReason = reason;
        Malformed = true;
    }
}
