using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NetTrace.Bench.Tests;

/// <summary>
/// An independent reading of a generated capture through libpcap (SharpPcap) and PacketDotNet: none of the
/// generator's code is used, so a match with the generator's truth means the bytes really say what it claims.
/// </summary>
public sealed class ReadBack
{
    public long Frames, Ipv4, Ipv6, Tcp, Udp, Icmp, Icmpv6, Vlan, Syn, SynAck, Rst, Dns;
    public long BadChecksums, NonMonotonicTimestamps;
    public double FirstTime, LastTime;
    public readonly Dictionary<string, TcpConnection> Connections = [];
    public readonly Dictionary<(string, string, int, int), double> EchoRequests = [];
    public readonly List<(string Src, int Id, int Seq, double RequestTime, double RttMicros)> EchoPairs = [];

    public sealed class TcpConnection
    {
        public uint ClientIsn;
        public readonly List<double> SynTimes = [];
        public uint? ServerIsn;
        public double? SynAckTime;
        public double? AckTime;
        public bool Refused;
        public bool Established => SynAckTime != null && AckTime != null;
    }

    public static ReadBack Read(string path)
    {
        var r = new ReadBack();
        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        double previous = 0;
        while (device.GetNextPacket(out PacketCapture capture) == GetPacketStatus.PacketRead)
        {
            var raw = capture.GetPacket();
            double t = (double)raw.Timeval.Value;
            if (r.Frames == 0) r.FirstTime = t;
            else if (t < previous) r.NonMonotonicTimestamps++;
            previous = r.LastTime = t;
            r.Frames++;
            r.Add(Packet.ParsePacket(raw.LinkLayerType, raw.Data), t);
        }
        return r;
    }

    private void Add(Packet packet, double t)
    {
        if (packet.Extract<Ieee8021QPacket>() != null) Vlan++;
        var ip = packet.Extract<IPPacket>();
        if (ip == null) return;
        if (ip is IPv4Packet v4) { Ipv4++; if (!v4.ValidIPChecksum) BadChecksums++; }
        else Ipv6++;
        string src = ip.SourceAddress.ToString(), dst = ip.DestinationAddress.ToString();

        if (ip.PayloadPacket is TcpPacket tcp)
        {
            Tcp++;
            if (!tcp.ValidTcpChecksum) BadChecksums++;
            AddTcp(tcp, src, dst, t);
        }
        else if (ip.PayloadPacket is UdpPacket udp)
        {
            Udp++;
            if (!udp.ValidUdpChecksum) BadChecksums++;
            if (udp.SourcePort == 53 || udp.DestinationPort == 53) Dns++;
        }
        else if (ip.PayloadPacket is IcmpV4Packet icmp)
        {
            Icmp++;
            if (!icmp.ValidIcmpChecksum) BadChecksums++;
            var type = (int)icmp.TypeCode >> 8;
            AddEcho(type == 8, type == 0, src, dst, icmp.Id, icmp.Sequence, t);
        }
        else if (ip.PayloadPacket is IcmpV6Packet icmp6)
        {
            Icmpv6++;
            var b = icmp6.Bytes;
            AddEcho(b[0] == 128, b[0] == 129, src, dst, b[4] << 8 | b[5], b[6] << 8 | b[7], t);
        }
    }

    private void AddTcp(TcpPacket tcp, string src, string dst, double t)
    {
        string forward = $"{src}:{tcp.SourcePort}>{dst}:{tcp.DestinationPort}";
        string reverse = $"{dst}:{tcp.DestinationPort}>{src}:{tcp.SourcePort}";
        if (tcp.Synchronize && !tcp.Acknowledgment)
        {
            Syn++;
            if (!Connections.TryGetValue(forward, out var c))
                Connections[forward] = c = new TcpConnection { ClientIsn = tcp.SequenceNumber };
            else if (c.ClientIsn != tcp.SequenceNumber)
                throw new InvalidDataException($"{forward}: a SYN with a new ISN on a tuple in use (port reuse is not expected)");
            c.SynTimes.Add(t);
            return;
        }
        if (tcp.Reset) Rst++;
        if (tcp.Synchronize) SynAck++;
        if (Connections.TryGetValue(reverse, out var toClient))
        {
            if (tcp.Synchronize && tcp.AcknowledgmentNumber == toClient.ClientIsn + 1 && toClient.SynAckTime == null)
            {
                toClient.SynAckTime = t;
                toClient.ServerIsn = tcp.SequenceNumber;
            }
            else if (tcp.Reset && tcp.AcknowledgmentNumber == toClient.ClientIsn + 1 && toClient.SynAckTime == null)
                toClient.Refused = true;
        }
        else if (Connections.TryGetValue(forward, out var fromClient) && fromClient.ServerIsn is uint serverIsn
                 && fromClient.AckTime == null && !tcp.Reset && tcp.Acknowledgment && tcp.AcknowledgmentNumber == serverIsn + 1)
            fromClient.AckTime = t;
    }

    private void AddEcho(bool request, bool reply, string src, string dst, int id, int seq, double t)
    {
        if (request) EchoRequests[(src, dst, id, seq)] = t;
        else if (reply && EchoRequests.TryGetValue((dst, src, id, seq), out var sent))
            EchoPairs.Add((dst, id, seq, sent, (t - sent) * 1e6));
    }
}
