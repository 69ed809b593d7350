using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Flows;

/// <summary>
/// Pairs ICMP/ICMPv6 echo requests and replies on (IP pair, id, seq), plus VLAN path and tunnel.
/// A repeated request with the same key replaces the pending one, so a reply pairs with the latest copy and the
/// earlier copy stays unanswered — the choice tshark makes on duplicated frames (zeek-communityid-icmp.pcap).
/// </summary>
internal sealed class EchoTracker(string source)
{
    private readonly record struct Key(FlowKey Flow, ushort Seq, bool RequesterIsA);

    private struct Record
    {
        public IpAddr Src, Dst;
        public ushort Id, Seq;
        public bool V6;
        public long RequestNs, ReplyNs, RequestFrame;
        public Tunnel Outer;
        public ulong VlanPath;
    }

    private readonly Dictionary<Key, int> _pending = [];
    private readonly List<Record> _records = [];

    public void Packet(in PacketInfo p, bool request, long ns, long frame)
    {
        var flow = FlowKey.Of(p, p.IcmpId, p.IcmpId, out bool srcIsA);
        // Pinging yourself (loopback): both directions have the same key; the requester is then always "A".
        bool self = p.Src == p.Dst;
        if (request)
        {
            _pending[new Key(flow, p.IcmpSeq, self || srcIsA)] = _records.Count;
            _records.Add(new Record
            {
                Src = p.Src, Dst = p.Dst, Id = p.IcmpId, Seq = p.IcmpSeq, V6 = p.L4 == Transport.Icmpv6,
                RequestNs = ns, ReplyNs = -1, RequestFrame = frame, Outer = p.Outer, VlanPath = p.VlanPath,
            });
            return;
        }
        var key = new Key(flow, p.IcmpSeq, self || !srcIsA);
        if (_pending.Remove(key, out int index))
        {
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_records);
            span[index].ReplyNs = ns;
        }
    }

    /// <summary>Forgets requests older than the cutoff: they stay unanswered, and the table stays small.</summary>
    public void Sweep(long cutoffNs)
    {
        foreach (var (k, i) in _pending)
            if (_records[i].RequestNs < cutoffNs) _pending.Remove(k);
    }

    public void Complete(List<IcmpEcho> into)
    {
        foreach (var r in _records)
        {
            into.Add(new IcmpEcho
            {
                Src = r.Src.ToString(),
                Dst = r.Dst.ToString(),
                Id = r.Id,
                Seq = r.Seq,
                V6 = r.V6,
                RequestTime = PacketAnalyzer.Sec(r.RequestNs),
                RttMicros = r.ReplyNs >= 0 ? (r.ReplyNs - r.RequestNs) / 1000.0 : null,
                Outer = r.Outer.Kind == TunnelKind.None ? null : r.Outer.ToString(),
                Vlan = FlowKey.FormatVlan(r.VlanPath),
                RequestFrame = r.RequestFrame,
                SourceFile = source,
            });
        }
        _records.Clear();
        _pending.Clear();
    }
}
