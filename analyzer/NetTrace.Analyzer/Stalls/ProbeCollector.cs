using System.Net;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Gathers the probes of a run — answered first SYNs and answered echo requests — sorted by host pair and time,
/// with both candidate RX queues of each (request at the responder, reply at the requester) computed once.
/// </summary>
internal sealed class ProbeCollector
{
    private readonly RssSettings _rss;
    private readonly Dictionary<(IpAddr, IpAddr), int> _groupIds = [];
    private readonly Dictionary<string, IpAddr?> _parsed = [];
    public List<ProbeGroup> Groups { get; } = [];
    public Probe[] Probes { get; private set; } = [];
    private int _count;

    public ProbeCollector(RssSettings rss) => _rss = rss;

    public void Collect(HandshakeTable hs, IReadOnlyList<IcmpEcho> echoes)
    {
        int capacity = 0;
        for (int i = 0; i < hs.Count; i++) if (Usable(hs[i])) capacity++;
        foreach (var e in echoes) if (e.RttMicros is not null && !e.ReceiverOnly) capacity++;
        Probes = new Probe[capacity];

        for (int i = 0; i < hs.Count; i++)
        {
            var h = hs[i];
            if (!Usable(h)) continue;
            // A SYN retransmitted earlier is excluded above: its latency is an RTO, not a wait in a queue.
            Add(h.Client.Ip, h.Server.Ip, h.Client.Port, h.Server.Port, icmp: false, i, h.SynTime, h.SynAckRtt / 1000);
        }
        for (int i = 0; i < echoes.Count; i++)
        {
            var e = echoes[i];
            if (e.RttMicros is not double rtt || e.ReceiverOnly) continue;
            if (Parse(e.Src) is not IpAddr src || Parse(e.Dst) is not IpAddr dst) continue;
            Add(src, dst, 0, 0, icmp: true, ~i, e.RequestTime, rtt / 1000);
        }
        Probes = Probes[.._count];
        Array.Sort(Probes, static (a, b) => a.Group != b.Group ? a.Group.CompareTo(b.Group) : a.Time.CompareTo(b.Time));
        int at = 0;
        foreach (var g in Groups)
        {
            g.Start = at;
            while (at < Probes.Length && Probes[at].Group == g.Index) at++;
            g.End = at;
        }
    }

    private static bool Usable(in HandshakeFact h) =>
        h.Parsed && h.SynRetransmits == 0 && !double.IsNaN(h.SynAckRtt) && h.SynAckRtt >= 0 && h.Client.Ip.V6 == h.Server.Ip.V6;

    private IpAddr? Parse(string text)
    {
        if (_parsed.TryGetValue(text, out var ip)) return ip;
        IpAddr? result = null;
        if (IPAddress.TryParse(text, out var a))
        {
            Span<byte> b = stackalloc byte[16];
            a.TryWriteBytes(b, out int n);
            result = n == 4 ? IpAddr.FromV4(b) : IpAddr.FromV6(b);
        }
        _parsed[text] = result;
        return result;
    }

    private void Add(IpAddr requester, IpAddr responder, ushort requesterPort, ushort responderPort, bool icmp, int source, double time, double latencyMs)
    {
        if (requester.V6 != responder.V6 || _count >= Probes.Length) return;
        if (!_groupIds.TryGetValue((requester, responder), out int g))
        {
            g = Groups.Count;
            _groupIds.Add((requester, responder), g);
            Groups.Add(new ProbeGroup(g, requester, responder));
        }
        Probes[_count++] = new Probe
        {
            Group = g,
            Source = source,
            Time = time,
            LatencyMs = latencyMs,
            // The responder's NIC hashes the request as it arrives (src = requester); the requester's NIC the reply.
            QueueAtResponder = _rss.QueueOf(requester, responder, requesterPort, responderPort, !icmp),
            QueueAtRequester = _rss.QueueOf(responder, requester, responderPort, requesterPort, !icmp),
            Icmp = icmp,
        };
    }
}
