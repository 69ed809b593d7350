using System.Buffers.Binary;
using NetTrace.Analyzer.Capture;

namespace NetTrace.Analyzer.Decode;

/// <summary>
/// Decodes link, network and transport headers of one frame into a <see cref="PacketInfo"/> without allocating.
/// Tunnels (VXLAN on 4789/8472, GRE, IPIP, 6in4) are followed to the inner packet; headers quoted in ICMP errors
/// are counted (as tshark counts a protocol at any layer) but never become the packet's own transport.
/// </summary>
public static class PacketDecoder
{
    private const int MaxDepth = 4; // nested tunnels followed; deeper nesting is treated as opaque payload
    public const ushort VxlanPort = 4789, FlannelVxlanPort = 8472;

    public static void Decode(int linkType, ReadOnlySpan<byte> d, ref PacketInfo p)
    {
        p.Reset();
        switch (linkType)
        {
            case LinkTypes.Ethernet:
                Ethernet(d, ref p, 0);
                break;
            case LinkTypes.LinuxSll:
                if (d.Length < 16) { p.CutBySnaplen = true; return; }
                EtherType(BinaryPrimitives.ReadUInt16BigEndian(d[14..]), d[16..], ref p, 0);
                break;
            case LinkTypes.LinuxSll2:
                if (d.Length < 20) { p.CutBySnaplen = true; return; }
                EtherType(BinaryPrimitives.ReadUInt16BigEndian(d), d[20..], ref p, 0);
                break;
            case LinkTypes.Raw or LinkTypes.RawOpenBsd or LinkTypes.RawBsd or LinkTypes.Ipv4 or LinkTypes.Ipv6:
                RawIp(d, ref p, 0);
                break;
            case LinkTypes.Null or LinkTypes.Loop:
                if (d.Length < 4) { p.CutBySnaplen = true; return; }
                uint family = linkType == LinkTypes.Loop
                    ? BinaryPrimitives.ReadUInt32BigEndian(d)
                    : BinaryPrimitives.ReadUInt32LittleEndian(d);
                // NULL uses the capturing host's byte order, which the file does not record: accept both.
                if (family > 0xFFFF) family = BinaryPrimitives.ReverseEndianness(family);
                if (family == 2) Ipv4(d[4..], ref p, 0, false);
                else if (family is 10 or 24 or 28 or 30) Ipv6(d[4..], ref p, 0, false);
                break;
            default:
                p.UnsupportedLinkType = true;
                break;
        }
    }

    private static void RawIp(ReadOnlySpan<byte> d, ref PacketInfo p, int depth)
    {
        if (d.Length < 1) return;
        int version = d[0] >> 4;
        if (version == 4) Ipv4(d, ref p, depth, false);
        else if (version == 6) Ipv6(d, ref p, depth, false);
    }

    private static void Ethernet(ReadOnlySpan<byte> d, ref PacketInfo p, int depth)
    {
        if (d.Length < 14) { p.CutBySnaplen = true; return; }
        EtherType(BinaryPrimitives.ReadUInt16BigEndian(d[12..]), d[14..], ref p, depth);
    }

    private static void EtherType(ushort type, ReadOnlySpan<byte> d, ref PacketInfo p, int depth)
    {
        // 802.1Q, 802.1ad (QinQ) and the old 0x9100 QinQ tag: each 4 bytes, TCI then the next EtherType.
        while (type is 0x8100 or 0x88A8 or 0x9100)
        {
            if (d.Length < 4) { p.CutBySnaplen = true; return; }
            p.Seen |= Seen.Vlan;
            p.VlanPath = (p.VlanPath << 12) | (uint)(BinaryPrimitives.ReadUInt16BigEndian(d) & 0x0FFF) | (1UL << 63);
            type = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
            d = d[4..];
        }
        if (type == 0x0800) Ipv4(d, ref p, depth, false);
        else if (type == 0x86DD) Ipv6(d, ref p, depth, false);
    }

    private static void Ipv4(ReadOnlySpan<byte> d, ref PacketInfo p, int depth, bool quoted)
    {
        if (d.Length < 20) { if (!quoted) p.CutBySnaplen = true; if (d.Length >= 1 && d[0] >> 4 == 4) p.Seen |= Seen.Ipv4; return; }
        if (d[0] >> 4 != 4) { if (!quoted) p.SetMalformed("IPv4 header with a version other than 4"); return; }
        p.Seen |= Seen.Ipv4;
        int ihl = (d[0] & 0x0F) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
        if (ihl < 20) { if (!quoted) p.SetMalformed("IPv4 header length below 20 bytes"); return; }
        if (total == 0 && !quoted) total = d.Length; // TSO/GSO captures leave total length 0
        if (total < ihl) { if (!quoted) p.SetMalformed("IPv4 total length smaller than its header"); return; }
        if (d.Length < ihl) { if (!quoted) p.CutBySnaplen = true; return; }
        var src = IpAddr.FromV4(d[12..]);
        var dst = IpAddr.FromV4(d[16..]);
        byte proto = d[9];
        int fragOffset = BinaryPrimitives.ReadUInt16BigEndian(d[6..]) & 0x1FFF;
        if (!quoted)
        {
            p.Src = src;
            p.Dst = dst;
            p.IpProto = proto;
        }
        if (fragOffset != 0)
        {
            // Only the first fragment carries the transport header.
            if (!quoted) p.L4 = Transport.Fragment;
            return;
        }
        var payload = d[ihl..Math.Min(d.Length, total)];
        TransportLayer(proto, payload, total - ihl, src, dst, ref p, depth, quoted, false);
    }

    private static void Ipv6(ReadOnlySpan<byte> d, ref PacketInfo p, int depth, bool quoted)
    {
        if (d.Length < 40) { if (!quoted) p.CutBySnaplen = true; if (d.Length >= 1 && d[0] >> 4 == 6) p.Seen |= Seen.Ipv6; return; }
        if (d[0] >> 4 != 6) { if (!quoted) p.SetMalformed("IPv6 header with a version other than 6"); return; }
        p.Seen |= Seen.Ipv6;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(d[4..]);
        if (payloadLength == 0 && !quoted) payloadLength = d.Length - 40; // jumbogram or TSO capture
        byte next = d[6];
        var src = IpAddr.FromV6(d[8..]);
        var dst = IpAddr.FromV6(d[24..]);
        var rest = d[40..Math.Min(d.Length, 40 + payloadLength)];
        int reported = payloadLength;
        // Extension headers: hop-by-hop (0), routing (43), fragment (44), destination options (60), AH (51).
        for (int i = 0; i < 16; i++)
        {
            if (next is 0 or 43 or 60 or 51 or 44)
            {
                if (rest.Length < 8) { if (!quoted) p.CutBySnaplen = true; return; }
                int len = next switch
                {
                    44 => 8,
                    51 => (rest[1] + 2) * 4,
                    _ => (rest[1] + 1) * 8,
                };
                if (next == 44 && (BinaryPrimitives.ReadUInt16BigEndian(rest[2..]) & 0xFFF8) != 0)
                {
                    if (!quoted) { p.Src = src; p.Dst = dst; p.IpProto = rest[0]; p.L4 = Transport.Fragment; }
                    return;
                }
                if (len > reported) { if (!quoted) p.SetMalformed("IPv6 extension header longer than the payload"); return; }
                if (len > rest.Length) { if (!quoted) p.CutBySnaplen = true; return; }
                next = rest[0];
                rest = rest[len..];
                reported -= len;
                continue;
            }
            break;
        }
        if (!quoted)
        {
            p.Src = src;
            p.Dst = dst;
            p.IpProto = next;
        }
        TransportLayer(next, rest, reported, src, dst, ref p, depth, quoted, true);
    }

    private static void TransportLayer(byte proto, ReadOnlySpan<byte> d, int reported, IpAddr src, IpAddr dst,
        ref PacketInfo p, int depth, bool quoted, bool overV6)
    {
        switch (proto)
        {
            case 6: Tcp(d, reported, ref p, quoted); break;
            case 17: Udp(d, src, dst, ref p, depth, quoted); break;
            case 1: Icmp(d, ref p, depth, quoted); break;
            case 58: Icmpv6(d, ref p, depth, quoted); break;
            case 4 or 41:
                if (quoted) return;
                p.Seen |= Seen.IpInIp;
                if (depth >= MaxDepth) { p.L4 = Transport.OtherIp; return; }
                EnterTunnel(ref p, new Tunnel(overV6 || proto == 4 ? TunnelKind.IpIp : TunnelKind.SixInFour, src, dst, 0));
                if (proto == 4) Ipv4(d, ref p, depth + 1, false);
                else Ipv6(d, ref p, depth + 1, false);
                break;
            case 47:
                if (quoted) return;
                Gre(d, src, dst, ref p, depth);
                break;
            default:
                if (!quoted) p.L4 = Transport.OtherIp;
                break;
        }
    }

    private static void EnterTunnel(ref PacketInfo p, Tunnel t)
    {
        if (p.Outer.Kind == TunnelKind.None) p.Outer = t;
        // The inner packet's own transport replaces the outer one.
        p.L4 = Transport.None;
    }

    private static void Tcp(ReadOnlySpan<byte> d, int reported, ref PacketInfo p, bool quoted)
    {
        p.Seen |= Seen.Tcp;
        if (d.Length < 14)
        {
            // ICMP errors often quote only 8 bytes of TCP: ports, no flags. That is normal, not a cut.
            if (!quoted) p.CutBySnaplen = true;
            if (!quoted && d.Length >= 4) SetPorts(d, ref p, Transport.Tcp);
            return;
        }
        byte flags = d[13];
        if ((flags & TcpFlags.Syn) != 0) p.Seen |= (flags & TcpFlags.Ack) != 0 ? Seen.TcpSynAck : Seen.TcpSynOnly;
        if ((flags & TcpFlags.Rst) != 0) p.Seen |= Seen.TcpRst;
        if (quoted) return;
        SetPorts(d, ref p, Transport.Tcp);
        p.TcpFlagBits = flags;
        p.TcpFlagsKnown = true;
        p.Seq = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
        p.Ack = BinaryPrimitives.ReadUInt32BigEndian(d[8..]);
        int dataOffset = (d[12] >> 4) * 4;
        if (dataOffset < 20) { p.SetMalformed("TCP header length below 20 bytes"); return; }
        if (dataOffset > reported) { p.SetMalformed("TCP header longer than the IP payload"); return; }
        p.PayloadLength = reported - dataOffset;
    }

    private static void SetPorts(ReadOnlySpan<byte> d, ref PacketInfo p, Transport t)
    {
        p.L4 = t;
        p.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(d);
        p.DstPort = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
    }

    private static void Udp(ReadOnlySpan<byte> d, IpAddr src, IpAddr dst, ref PacketInfo p, int depth, bool quoted)
    {
        p.Seen |= Seen.Udp;
        if (d.Length < 8)
        {
            if (!quoted) { p.CutBySnaplen = true; if (d.Length >= 4) SetPorts(d, ref p, Transport.Udp); }
            return;
        }
        if (quoted) return;
        SetPorts(d, ref p, Transport.Udp);
        int length = BinaryPrimitives.ReadUInt16BigEndian(d[4..]);
        if (length != 0 && length < 8) { p.SetMalformed("UDP length below 8 bytes"); return; }
        p.PayloadLength = Math.Max(0, (length == 0 ? d.Length : length) - 8);
        ushort sp = p.SrcPort, dp = p.DstPort;
        bool vxlanPort = dp is VxlanPort or FlannelVxlanPort || sp is VxlanPort or FlannelVxlanPort;
        // VXLAN header: flags (I bit 0x08 = VNI valid), 3 reserved, VNI (24 bits), 1 reserved; then Ethernet.
        if (vxlanPort && d.Length >= 8 + 8 + 14 && (d[8] & 0x08) != 0 && depth < MaxDepth)
        {
            p.Seen |= Seen.Vxlan;
            uint vni = BinaryPrimitives.ReadUInt32BigEndian(d[12..]) >> 8;
            EnterTunnel(ref p, new Tunnel(TunnelKind.Vxlan, src, dst, vni));
            Ethernet(d[16..], ref p, depth + 1);
        }
    }

    private static void Gre(ReadOnlySpan<byte> d, IpAddr src, IpAddr dst, ref PacketInfo p, int depth)
    {
        p.Seen |= Seen.Gre;
        p.L4 = Transport.OtherIp;
        if (d.Length < 4) { p.CutBySnaplen = true; return; }
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(d);
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(d[2..]);
        if ((flags & 0x7) != 0) return; // version 1 is PPTP's enhanced GRE carrying PPP: not followed
        int off = 4;
        if ((flags & 0x8000) != 0) off += 4; // checksum + reserved
        uint key = 0;
        if ((flags & 0x2000) != 0)
        {
            if (d.Length < off + 4) { p.CutBySnaplen = true; return; }
            key = BinaryPrimitives.ReadUInt32BigEndian(d[off..]);
            off += 4;
        }
        if ((flags & 0x1000) != 0) off += 4; // sequence number
        if (d.Length < off) { p.CutBySnaplen = true; return; }
        if (depth >= MaxDepth) return;
        var inner = d[off..];
        switch (protocol)
        {
            case 0x0800:
                EnterTunnel(ref p, new Tunnel(TunnelKind.Gre, src, dst, key));
                Ipv4(inner, ref p, depth + 1, false);
                break;
            case 0x86DD:
                EnterTunnel(ref p, new Tunnel(TunnelKind.Gre, src, dst, key));
                Ipv6(inner, ref p, depth + 1, false);
                break;
            case 0x6558: // transparent Ethernet bridging
                EnterTunnel(ref p, new Tunnel(TunnelKind.Gre, src, dst, key));
                Ethernet(inner, ref p, depth + 1);
                break;
        }
    }

    private static void Icmp(ReadOnlySpan<byte> d, ref PacketInfo p, int depth, bool quoted)
    {
        p.Seen |= Seen.Icmp;
        if (quoted) return;
        if (d.Length < 4) { p.CutBySnaplen = true; return; }
        p.L4 = Transport.Icmp;
        byte type = d[0];
        p.IcmpType = type;
        if (type is 0 or 8)
        {
            if (d.Length < 8) { p.CutBySnaplen = true; return; }
            p.IcmpId = BinaryPrimitives.ReadUInt16BigEndian(d[4..]);
            p.IcmpSeq = BinaryPrimitives.ReadUInt16BigEndian(d[6..]);
        }
        else if (type is 3 or 4 or 5 or 11 or 12 && d.Length > 8)
        {
            Ipv4(d[8..], ref p, depth, true);
        }
    }

    private static void Icmpv6(ReadOnlySpan<byte> d, ref PacketInfo p, int depth, bool quoted)
    {
        p.Seen |= Seen.Icmpv6;
        if (quoted) return;
        if (d.Length < 4) { p.CutBySnaplen = true; return; }
        p.L4 = Transport.Icmpv6;
        byte type = d[0];
        p.IcmpType = type;
        if (type is 128 or 129)
        {
            if (d.Length < 8) { p.CutBySnaplen = true; return; }
            p.IcmpId = BinaryPrimitives.ReadUInt16BigEndian(d[4..]);
            p.IcmpSeq = BinaryPrimitives.ReadUInt16BigEndian(d[6..]);
        }
        else if (type is 1 or 2 or 3 or 4 && d.Length > 8)
        {
            Ipv6(d[8..], ref p, depth, true);
        }
    }
}
