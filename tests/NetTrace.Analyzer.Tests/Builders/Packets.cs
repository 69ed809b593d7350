using System.Buffers.Binary;
using System.Net;

namespace NetTrace.Analyzer.Tests.Builders;

/// <summary>Byte builders for hand-made test packets: each layer wraps the bytes of the layer inside it.</summary>
public static class Packets
{
    public static byte[] Ip(string s) => IPAddress.Parse(s).GetAddressBytes();

    public static byte[] Tcp(ushort sport, ushort dport, uint seq, uint ack, byte flags, int payload = 0, int dataOffsetWords = 5)
    {
        var b = new byte[Math.Max(20, dataOffsetWords * 4) + payload];
        BinaryPrimitives.WriteUInt16BigEndian(b, sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), ack);
        b[12] = (byte)(dataOffsetWords << 4);
        b[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(14), 65535);
        return b;
    }

    public static byte[] Udp(ushort sport, ushort dport, byte[] payload)
    {
        var b = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, sport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)b.Length);
        payload.CopyTo(b, 8);
        return b;
    }

    public static byte[] IcmpEcho(bool request, ushort id, ushort seq, bool v6 = false, int payload = 16)
    {
        var b = new byte[8 + payload];
        b[0] = v6 ? (byte)(request ? 128 : 129) : (byte)(request ? 8 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), seq);
        return b;
    }

    /// <summary>ICMP error (type 11 time exceeded by default) quoting the given IP packet.</summary>
    public static byte[] IcmpError(byte[] quotedIp, byte type = 11, int quoteBytes = 28)
    {
        int n = Math.Min(quoteBytes, quotedIp.Length);
        var b = new byte[8 + n];
        b[0] = type;
        Array.Copy(quotedIp, 0, b, 8, n);
        return b;
    }

    public static byte[] Ipv4(string src, string dst, byte proto, byte[] payload, int optionBytes = 0,
        ushort fragOffsetUnits = 0, bool moreFragments = false, ushort ident = 1)
    {
        int ihl = 20 + optionBytes;
        var b = new byte[ihl + payload.Length];
        b[0] = (byte)(0x40 | (ihl / 4));
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)b.Length);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), ident);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | fragOffsetUnits));
        b[8] = 64;
        b[9] = proto;
        Ip(src).CopyTo(b, 12);
        Ip(dst).CopyTo(b, 16);
        for (int i = 20; i < ihl; i++) b[i] = 1; // NOP options
        payload.CopyTo(b, ihl);
        return b;
    }

    /// <summary>IPv6 with extension headers given as (type, bytes); each header's first byte (next header) is filled in.</summary>
    public static byte[] Ipv6(string src, string dst, byte proto, byte[] payload, params (byte Type, byte[] Bytes)[] ext)
    {
        int extLen = ext.Sum(e => e.Bytes.Length);
        var b = new byte[40 + extLen + payload.Length];
        b[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), (ushort)(extLen + payload.Length));
        b[6] = ext.Length > 0 ? ext[0].Type : proto;
        b[7] = 64;
        Ip(src).CopyTo(b, 8);
        Ip(dst).CopyTo(b, 24);
        int off = 40;
        for (int i = 0; i < ext.Length; i++)
        {
            ext[i].Bytes.CopyTo(b, off);
            b[off] = i + 1 < ext.Length ? ext[i + 1].Type : proto;
            off += ext[i].Bytes.Length;
        }
        payload.CopyTo(b, off);
        return b;
    }

    /// <summary>An 8-byte-unit extension header (hop-by-hop, destination options, routing).</summary>
    public static (byte, byte[]) Ext(byte type, int units = 1)
    {
        var b = new byte[units * 8];
        b[1] = (byte)(units - 1);
        return (type, b);
    }

    public static (byte, byte[]) FragmentHeader(ushort offsetUnits, bool more)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)((offsetUnits << 3) | (more ? 1 : 0)));
        return (44, b);
    }

    /// <summary>Authentication header: length field in 4-byte units minus 2.</summary>
    public static (byte, byte[]) AuthHeader()
    {
        var b = new byte[16];
        b[1] = 2;
        return (51, b);
    }

    public static byte[] Ethernet(ushort etherType, byte[] payload, params ushort[] vlanTags)
    {
        var b = new byte[14 + 4 * vlanTags.Length + payload.Length];
        b[0] = 2; b[6] = 4;
        int off = 12;
        ushort[] tpids = vlanTags.Length > 1 ? [0x88A8, 0x8100] : [0x8100];
        for (int i = 0; i < vlanTags.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(off), i < tpids.Length ? tpids[i] : (ushort)0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(off + 2), vlanTags[i]);
            off += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(off), etherType);
        payload.CopyTo(b, off + 2);
        return b;
    }

    public static byte[] EthIpv4(byte[] ip, params ushort[] vlans) => Ethernet(0x0800, ip, vlans);
    public static byte[] EthIpv6(byte[] ip, params ushort[] vlans) => Ethernet(0x86DD, ip, vlans);

    public static byte[] Vxlan(uint vni, byte[] innerEthernet)
    {
        var b = new byte[8 + innerEthernet.Length];
        b[0] = 0x08;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), vni << 8);
        innerEthernet.CopyTo(b, 8);
        return b;
    }

    public static byte[] Gre(ushort protocol, byte[] inner, uint? key = null, uint? seq = null, bool checksum = false)
    {
        int len = 4 + (checksum ? 4 : 0) + (key is null ? 0 : 4) + (seq is null ? 0 : 4);
        var b = new byte[len + inner.Length];
        ushort flags = (ushort)((checksum ? 0x8000 : 0) | (key is null ? 0 : 0x2000) | (seq is null ? 0 : 0x1000));
        BinaryPrimitives.WriteUInt16BigEndian(b, flags);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), protocol);
        int off = 4 + (checksum ? 4 : 0);
        if (key is uint k) { BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(off), k); off += 4; }
        if (seq is uint s) { BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(off), s); off += 4; }
        inner.CopyTo(b, off);
        return b;
    }

    public static byte[] Sll(ushort protocol, byte[] payload)
    {
        var b = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(14), protocol);
        payload.CopyTo(b, 16);
        return b;
    }

    public static byte[] Sll2(ushort protocol, byte[] payload)
    {
        var b = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(b, protocol);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(8), 1);
        b[11] = 6;
        payload.CopyTo(b, 20);
        return b;
    }

    /// <summary>BSD loopback: 4-byte address family, host order for NULL (0), network order for LOOP (108).</summary>
    public static byte[] Loopback(uint family, byte[] payload, bool bigEndian)
    {
        var b = new byte[4 + payload.Length];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, family);
        else BinaryPrimitives.WriteUInt32LittleEndian(b, family);
        payload.CopyTo(b, 4);
        return b;
    }
}
