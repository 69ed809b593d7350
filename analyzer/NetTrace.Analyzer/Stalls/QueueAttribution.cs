using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Per RX queue: how many probes (and flows) the RSS hash sends there and how many of them a stall held. Each host
/// pair counts on the side its stalls pointed at (the responder unless they pointed at the requester).
/// </summary>
internal static class QueueAttribution
{
    public static IReadOnlyList<RxQueueAttribution> Of(Probe[] probes, List<ProbePair> pairs, List<Burst> bursts, int queues)
    {
        var packets = new long[queues];
        var delayed = new long[queues];
        var tcpFlows = new int[queues];
        var icmpPairs = new HashSet<(int Pair, int Queue)>();
        foreach (ref readonly var p in probes.AsSpan())
        {
            int q = QueueVerdict.QueueOf(p, pairs[p.Pair].Side);
            packets[q]++;
            if (p.InStall) delayed[q]++;
            if (p.Icmp) icmpPairs.Add((p.Pair, q));
            else tcpFlows[q]++; // every handshake is its own connection
        }
        var icmpFlows = new int[queues];
        foreach (var (_, q) in icmpPairs) icmpFlows[q]++;
        var stalls = new int[queues];
        foreach (var b in bursts)
            if (b.Queue is int q) stalls[q]++;
        var list = new List<RxQueueAttribution>(queues);
        for (int q = 0; q < queues; q++)
        {
            list.Add(new RxQueueAttribution
            {
                Queue = q, Flows = tcpFlows[q] + icmpFlows[q], IcmpFlows = icmpFlows[q], TcpFlows = tcpFlows[q],
                Packets = packets[q], DelayedPackets = delayed[q], Stalls = stalls[q],
            });
        }
        return list;
    }
}
