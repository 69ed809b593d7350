using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Per RX queue: how many probes (and flows) the RSS hash sends there and how many of them a stall held. Each host
/// pair counts on the side its stalls pointed at (the responder unless they pointed at the requester).
/// </summary>
internal static class QueueAttribution
{
    public static IReadOnlyList<RxQueueAttribution> Of(Probe[] probes, List<ProbeGroup> groups, List<Burst> bursts, int queues)
    {
        var packets = new long[queues];
        var delayed = new long[queues];
        var tcpFlows = new int[queues];
        var icmpPairs = new HashSet<(int Group, int Queue)>();
        foreach (var g in groups)
        {
            for (int i = g.Start; i < g.End; i++)
            {
                int q = QueueVerdict.QueueOf(probes[i], g.Side);
                packets[q]++;
                if (probes[i].InStall) delayed[q]++;
                if (probes[i].Icmp) icmpPairs.Add((g.Index, q));
                else tcpFlows[q]++; // every handshake is its own connection
            }
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
