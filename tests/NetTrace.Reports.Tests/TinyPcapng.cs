using System.Buffers.Binary;
using System.Text;

namespace NetTrace.Reports.Tests;

/// <summary>
/// Builds a small little-endian pcapng by hand: a section header and an Ethernet interface, both with
/// opt_comment (the untrusted text under test), then a TCP handshake (SYN lost and retransmitted after 1 s)
/// and one ICMP echo with its reply.
/// </summary>
internal static class TinyPcapng
{
    public static byte[] Build(string sectionComment, string interfaceComment, double t0 = 1_780_000_000)
    {
        var ms = new MemoryStream();
        Block(ms, 0x0A0D0D0A, b =>
        {
            U32(b, 0x1A2B3C4D); U16(b, 1); U16(b, 0); I64(b, -1);
            Option(b, 1, sectionComment); Option(b, 0, null);
        });
        Block(ms, 1, b =>
        {
            U16(b, 1); U16(b, 0); U32(b, 65535);
            Option(b, 1, interfaceComment); Option(b, 0, null);
        });
        byte[] client = [10, 1, 0, 1], server = [10, 1, 0, 2];
        Packet(ms, t0, Tcp(client, server, 40000, 443, seq: 1000, ack: 0, flags: 0x02));           // SYN, lost
        Packet(ms, t0 + 1.0012, Tcp(client, server, 40000, 443, seq: 1000, ack: 0, flags: 0x02));  // retransmitted at ~1 s
        Packet(ms, t0 + 1.0015, Tcp(server, client, 443, 40000, seq: 5000, ack: 1001, flags: 0x12));
        Packet(ms, t0 + 1.0016, Tcp(client, server, 40000, 443, seq: 1001, ack: 5001, flags: 0x10));
        Packet(ms, t0 + 2, Icmp(client, server, type: 8, id: 7, seq: 1));
        Packet(ms, t0 + 2.0003, Icmp(server, client, type: 0, id: 7, seq: 1));
        return ms.ToArray();
    }

    private static void Packet(MemoryStream ms, double time, byte[] ipPacket)
    {
        var frame = new byte[14 + ipPacket.Length];
        new byte[] { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00 }.CopyTo(frame, 0);
        ipPacket.CopyTo(frame, 14);
        long us = (long)Math.Round(time * 1e6);
        Block(ms, 6, b =>
        {
            U32(b, 0); U32(b, (uint)(us >> 32)); U32(b, (uint)us); U32(b, (uint)frame.Length); U32(b, (uint)frame.Length);
            b.Write(frame); Pad(b, frame.Length);
        });
    }

    private static byte[] Tcp(byte[] src, byte[] dst, int sport, int dport, uint seq, uint ack, byte flags)
    {
        var tcp = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), (ushort)dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = 0x50; tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);
        return Ipv4(src, dst, 6, tcp);
    }

    private static byte[] Icmp(byte[] src, byte[] dst, byte type, ushort id, ushort seq)
    {
        var icmp = new byte[16];
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), seq);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Checksum(icmp));
        return Ipv4(src, dst, 1, icmp);
    }

    private static byte[] Ipv4(byte[] src, byte[] dst, byte proto, byte[] payload)
    {
        var ip = new byte[20 + payload.Length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[8] = 64; ip[9] = proto;
        src.CopyTo(ip, 12); dst.CopyTo(ip, 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), Checksum(ip.AsSpan(0, 20)));
        payload.CopyTo(ip, 20);
        return ip;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) == 1) sum += (uint)data[^1] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    private static void Block(MemoryStream ms, uint type, Action<BinaryWriter> body)
    {
        var inner = new MemoryStream();
        using (var b = new BinaryWriter(inner, Encoding.UTF8, leaveOpen: true)) body(b);
        uint total = (uint)(12 + inner.Length);
        using var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true);
        w.Write(type); w.Write(total); w.Write(inner.ToArray()); w.Write(total);
    }

    private static void Option(BinaryWriter b, ushort code, string? text)
    {
        var value = text is null ? [] : Encoding.UTF8.GetBytes(text);
        U16(b, code); U16(b, (ushort)value.Length); b.Write(value); Pad(b, value.Length);
    }

    private static void Pad(BinaryWriter b, int length) { for (int i = length; i % 4 != 0; i++) b.Write((byte)0); }
    private static void U16(BinaryWriter b, ushort v) => b.Write(v);
    private static void U32(BinaryWriter b, uint v) => b.Write(v);
    private static void I64(BinaryWriter b, long v) => b.Write(v);
}
