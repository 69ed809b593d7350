using System.Buffers.Binary;
using System.Text;

namespace NetTrace.CaptureGen;

/// <summary>
/// Builds complete Ethernet frames (optional 802.1Q tag, IPv4 or IPv6, TCP with Linux-like options, UDP carrying DNS,
/// ICMP/ICMPv6 echo) with correct lengths and checksums into one reused buffer.
/// </summary>
internal sealed class FrameBuilder
{
    private readonly byte[] _frame = new byte[16 * 1024];
    // TCP payload bytes come from one random block; word prefix sums make their checksum O(1) per segment.
    private readonly byte[] _payload = new byte[1 << 16];
    private readonly ulong[] _payloadWordPrefix;
    private readonly byte[][] _dnsNames;

    public const int DnsNameCount = 64;

    public FrameBuilder(Rng rng)
    {
        for (int i = 0; i < _payload.Length; i += 8) BinaryPrimitives.WriteUInt64LittleEndian(_payload.AsSpan(i), rng.NextU64());
        _payloadWordPrefix = new ulong[_payload.Length / 2 + 1];
        for (int w = 0; w < _payload.Length / 2; w++)
            _payloadWordPrefix[w + 1] = _payloadWordPrefix[w] + BinaryPrimitives.ReadUInt16BigEndian(_payload.AsSpan(2 * w));
        _dnsNames = new byte[DnsNameCount][];
        for (int i = 0; i < DnsNameCount; i++) _dnsNames[i] = EncodeDnsName($"svc-{i}.default.svc.cluster.local");
    }

    private static byte[] EncodeDnsName(string name)
    {
        var ms = new MemoryStream();
        foreach (var label in name.Split('.'))
        {
            ms.WriteByte((byte)label.Length);
            ms.Write(Encoding.ASCII.GetBytes(label));
        }
        ms.WriteByte(0);
        return ms.ToArray();
    }

    public ReadOnlySpan<byte> Build(in Pending p, long timeNanos)
    {
        var flow = p.Flow!;
        var f = _frame.AsSpan();
        bool fromClient = p.FromClient;
        byte[] src = fromClient ? flow.ClientIp : flow.ServerIp;
        byte[] dst = fromClient ? flow.ServerIp : flow.ClientIp;

        (fromClient ? Topology.GatewayMac : Topology.NodeMac).CopyTo(f);
        (fromClient ? Topology.NodeMac : Topology.GatewayMac).CopyTo(f[6..]);
        int o = 12;
        if (flow.Vlan != 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(f[o..], 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(f[(o + 2)..], flow.Vlan);
            o += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(f[o..], flow.V6 ? (ushort)0x86DD : (ushort)0x0800);
        o += 2;
        int ipOffset = o;
        int l4Offset = ipOffset + (flow.V6 ? 40 : 20);

        int l4Length = p.Kind switch
        {
            PendingKind.Tcp => WriteTcp(f[l4Offset..], in p, flow, timeNanos),
            PendingKind.DnsQuery or PendingKind.DnsResponse => WriteDns(f[l4Offset..], in p, flow),
            _ => WriteEcho(f[l4Offset..], in p, flow, timeNanos),
        };

        byte ttl = fromClient ? (byte)64 : flow.ServerTtl;
        if (flow.V6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(f[ipOffset..], 0x60000000u | (uint)(flow.ClientPort * 2654435761u >> 12));
            BinaryPrimitives.WriteUInt16BigEndian(f[(ipOffset + 4)..], (ushort)l4Length);
            f[ipOffset + 6] = flow.Protocol;
            f[ipOffset + 7] = ttl;
            src.CopyTo(f[(ipOffset + 8)..]);
            dst.CopyTo(f[(ipOffset + 24)..]);
        }
        else
        {
            var ip = f.Slice(ipOffset, 20);
            ip[0] = 0x45; ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + l4Length));
            ushort id = fromClient ? flow.ClientIpId++ : flow.ServerIpId++;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // DF
            ip[8] = ttl; ip[9] = flow.Protocol;
            ip[10] = 0; ip[11] = 0;
            src.CopyTo(ip[12..]);
            dst.CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Fold(InternetChecksum.Sum(ip)));
        }

        int checksumAt = flow.Protocol switch { 6 => 16, 17 => 6, _ => 2 };
        var l4 = f.Slice(l4Offset, l4Length);
        ulong sum = flow.Protocol == 1 ? 0 : InternetChecksum.PseudoHeader(src, dst, flow.Protocol, l4Length);
        if (p.Kind == PendingKind.Tcp)
        {
            int headerLength = l4Length - p.PayloadLength;
            sum += InternetChecksum.Sum(l4[..headerLength]) + PayloadSum(PayloadOffset(p.Seq), p.PayloadLength);
        }
        else sum += InternetChecksum.Sum(l4);
        ushort checksum = InternetChecksum.Fold(sum);
        if (checksum == 0 && flow.Protocol == 17) checksum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumAt..], checksum);
        return f[..(l4Offset + l4Length)];
    }

    private static int PayloadOffset(uint seq) => (int)((seq * 2654435761u) >> 17) & ~1; // even, below 32 KiB

    private ulong PayloadSum(int offset, int length)
    {
        int words = length / 2;
        ulong sum = _payloadWordPrefix[offset / 2 + words] - _payloadWordPrefix[offset / 2];
        if ((length & 1) != 0) sum += (ulong)_payload[offset + length - 1] << 8;
        return sum;
    }

    private int WriteTcp(Span<byte> t, in Pending p, Flow flow, long timeNanos)
    {
        bool syn = (p.TcpFlags & TcpFlags.Syn) != 0;
        bool rst = (p.TcpFlags & TcpFlags.Rst) != 0;
        int optionsLength = rst ? 0 : syn ? 20 : 12;
        int headerLength = 20 + optionsLength;
        BinaryPrimitives.WriteUInt16BigEndian(t, p.FromClient ? flow.ClientPort : flow.ServerPort);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], p.FromClient ? flow.ServerPort : flow.ClientPort);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], p.Seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], p.Ack);
        t[12] = (byte)(headerLength / 4 << 4);
        t[13] = p.TcpFlags;
        ushort window = rst ? (ushort)0 : syn ? (p.FromClient ? (ushort)64240 : (ushort)65160) : (p.FromClient ? (ushort)502 : (ushort)509);
        BinaryPrimitives.WriteUInt16BigEndian(t[14..], window);
        t[16] = 0; t[17] = 0; t[18] = 0; t[19] = 0;
        uint nowMs = (uint)(timeNanos / 1_000_000);
        uint tsVal = nowMs + (p.FromClient ? flow.ClientTsOffset : flow.ServerTsOffset);
        uint tsEcr = nowMs - 1 + (p.FromClient ? flow.ServerTsOffset : flow.ClientTsOffset);
        var opt = t.Slice(20, optionsLength);
        if (syn)
        {
            bool synAck = (p.TcpFlags & TcpFlags.Ack) != 0;
            opt[0] = 2; opt[1] = 4; BinaryPrimitives.WriteUInt16BigEndian(opt[2..], flow.V6 ? (ushort)1440 : (ushort)1460); // MSS
            opt[4] = 4; opt[5] = 2;                                                     // SACK permitted
            opt[6] = 8; opt[7] = 10;                                                    // timestamps
            BinaryPrimitives.WriteUInt32BigEndian(opt[8..], tsVal);
            BinaryPrimitives.WriteUInt32BigEndian(opt[12..], synAck ? tsEcr : 0);
            opt[16] = 1; opt[17] = 3; opt[18] = 3; opt[19] = 7;                         // NOP, window scale 7
        }
        else if (!rst)
        {
            opt[0] = 1; opt[1] = 1; opt[2] = 8; opt[3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(opt[4..], tsVal);
            BinaryPrimitives.WriteUInt32BigEndian(opt[8..], tsEcr);
        }
        _payload.AsSpan(PayloadOffset(p.Seq), p.PayloadLength).CopyTo(t[headerLength..]);
        return headerLength + p.PayloadLength;
    }

    private int WriteDns(Span<byte> u, in Pending p, Flow flow)
    {
        bool response = p.Kind == PendingKind.DnsResponse;
        bool aaaa = (p.Aux & 0x100) != 0;
        byte[] name = _dnsNames[p.Aux & 0xFF];
        BinaryPrimitives.WriteUInt16BigEndian(u, p.FromClient ? flow.ClientPort : flow.ServerPort);
        BinaryPrimitives.WriteUInt16BigEndian(u[2..], p.FromClient ? flow.ServerPort : flow.ClientPort);
        u[6] = 0; u[7] = 0;
        var d = u[8..];
        BinaryPrimitives.WriteUInt16BigEndian(d, p.Aux2);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], response ? (ushort)0x8580 : (ushort)0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], 1);                           // questions
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], response ? (ushort)1 : (ushort)0);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], 0);                           // authority, additional
        int n = 12;
        name.CopyTo(d[n..]); n += name.Length;
        ushort qtype = aaaa ? (ushort)28 : (ushort)1;
        BinaryPrimitives.WriteUInt16BigEndian(d[n..], qtype);
        BinaryPrimitives.WriteUInt16BigEndian(d[(n + 2)..], 1);                     // class IN
        n += 4;
        if (response)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d[n..], 0xC00C);                  // name: pointer to the question
            BinaryPrimitives.WriteUInt16BigEndian(d[(n + 2)..], qtype);
            BinaryPrimitives.WriteUInt16BigEndian(d[(n + 4)..], 1);
            BinaryPrimitives.WriteUInt32BigEndian(d[(n + 6)..], 30);                // TTL
            n += 10;
            int index = p.Aux & 0xFF;
            if (aaaa)
            {
                BinaryPrimitives.WriteUInt16BigEndian(d[n..], 16);
                byte[] a6 = [0xfd, 0, 0, 0x96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)(20 + index)];
                a6.CopyTo(d[(n + 2)..]);
                n += 18;
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(d[n..], 4);
                d[n + 2] = 10; d[n + 3] = 96; d[n + 4] = 1; d[n + 5] = (byte)(20 + index);
                n += 6;
            }
        }
        int length = 8 + n;
        BinaryPrimitives.WriteUInt16BigEndian(u[4..], (ushort)length);
        return length;
    }

    private static int WriteEcho(Span<byte> e, in Pending p, Flow flow, long timeNanos)
    {
        bool request = p.Kind == PendingKind.EchoRequest;
        e[0] = flow.V6 ? (request ? (byte)128 : (byte)129) : (request ? (byte)8 : (byte)0);
        e[1] = 0; e[2] = 0; e[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(e[4..], p.Aux2);
        BinaryPrimitives.WriteUInt16BigEndian(e[6..], (ushort)p.Aux);
        // iputils ping: the sender's timeval, then a counting pattern; a reply echoes the request's bytes.
        long sentMicros = (request ? timeNanos : p.EchoRequestNanos) / 1000;
        BinaryPrimitives.WriteUInt64LittleEndian(e[8..], (ulong)(sentMicros / 1_000_000));
        BinaryPrimitives.WriteUInt64LittleEndian(e[16..], (ulong)(sentMicros % 1_000_000));
        for (int i = 24; i < 64; i++) e[i] = (byte)(i - 8);
        return 64;
    }
}
