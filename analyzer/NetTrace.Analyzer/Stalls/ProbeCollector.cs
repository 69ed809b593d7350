using System.Net;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Gathers the probes of a run — answered first SYNs and answered echo requests — with their pair and hosts and
/// both candidate RX queues of each (request at the responder, reply at the requester) computed once.
/// </summary>
internal sealed class ProbeCollector
{
    private readonly RssSettings _rss;
    private readonly Dictionary<(IpAddr, IpAddr), int> _pairIds = [];
    private readonly Dictionary<IpAddr, int> _hostIds = [];
    private readonly Dictionary<string, IpAddr?> _parsed = [];
    public List<ProbePair> Pairs { get; } = [];
    public List<IpAddr> Hosts { get; } = [];
    public Probe[] Probes { get; private set; } = [];
    private int _count;

    public ProbeCollector(RssSettings rss) => _rss = rss;

    public void Collect(HandshakeTable hs, IReadOnlyList<IcmpEcho> echoes)
    {
        // One pass over the handshakes (they may be read back from a spill file): sized for all, trimmed after.
        Probes = new Probe[hs.Count + echoes.Count];
        for (int i = 0; i < hs.Count; i++)
        {
            var h = hs[i];
            if (!Usable(h)) continue;
            // A SYN retransmitted earlier is excluded: its latency is an RTO, not a wait in a queue.
            Add(h.Client.Ip, h.Server.Ip, h.Client.Port, h.Server.Port, icmp: false, i, h.SynTime, h.SynAckRtt / 1000);
        }
        for (int i = 0; i < echoes.Count; i++)
        {
            var e = echoes[i];
            if (e.RttMicros is not double rtt || e.ReceiverOnly) continue;
            if (Parse(e.Src) is not IpAddr src || Parse(e.Dst) is not IpAddr dst) continue;
            Add(src, dst, 0, 0, icmp: true, ~i, e.RequestTime, rtt / 1000);
        }
        if (_count < Probes.Length) Probes = Probes[.._count];
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

    private int HostId(IpAddr ip)
    {
        if (!_hostIds.TryGetValue(ip, out int id))
        {
            id = Hosts.Count;
            _hostIds.Add(ip, id);
            Hosts.Add(ip);
        }
        return id;
    }

    private void Add(IpAddr requester, IpAddr responder, ushort requesterPort, ushort responderPort, bool icmp, int source, double time, double latencyMs)
    {
        if (requester.V6 != responder.V6 || _count >= Probes.Length) return;
        if (!_pairIds.TryGetValue((requester, responder), out int pair))
        {
            pair = Pairs.Count;
            _pairIds.Add((requester, responder), pair);
            Pairs.Add(new ProbePair(pair, requester, responder));
        }
        Probes[_count++] = new Probe
        {
            Pair = pair,
            RequesterHost = HostId(requester),
            ResponderHost = HostId(responder),
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
