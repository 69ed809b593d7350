using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>Connection attempts from one client host to one server endpoint, summarised.</summary>
public sealed record TcpFlowGroup(string Client, string Server, int Attempts, int Failed, int SynRetransmits,
    double? P50Micros, double? P99Micros, double? MaxMicros);

/// <summary>Echoes between one pair of hosts, summarised.</summary>
/// <summary>Echoes between one pair of hosts, summarised. Cpus: the CPUs that handled them (recordings only).</summary>
public sealed record IcmpPairGroup(string Src, string Dst, int Echoes, int Unanswered, double? P50Micros, double? P99Micros, double? MaxMicros,
    IReadOnlyList<int> Cpus);

public static class FlowGroups
{
    /// <summary>Groups handshakes by client host and server endpoint; worst first (max connect time, then retransmits).</summary>
    public static List<TcpFlowGroup> Tcp(IReadOnlyList<Handshake> handshakes, int top)
    {
        // A million handshakes share a few hundred client hosts: look the host part up by span so the
        // grouping allocates per host, not per handshake; display strings are built per group at the end.
        var hosts = new Dictionary<string, string>(StringComparer.Ordinal);
        var hostLookup = hosts.GetAlternateLookup<ReadOnlySpan<char>>();
        var groups = new Dictionary<(string, string?, string, string?), Acc>();
        foreach (var h in handshakes)
        {
            var hostSpan = Endpoint.HostSpan(h.Client);
            if (!hostLookup.TryGetValue(hostSpan, out var host)) { host = hostSpan.ToString(); hosts[host] = host; }
            var key = (host, h.ClientName, h.Server, h.ServerName);
            if (!groups.TryGetValue(key, out var acc)) groups[key] = acc = new Acc();
            acc.Count++;
            if (h.Outcome != HandshakeOutcome.Established) acc.Bad++;
            acc.Retrans += h.SynRetransmits;
            if ((h.AckRttMicros ?? h.SynAckRttMicros) is { } v && double.IsFinite(v)) acc.Values.Add(v);
        }
        return groups
            .Select(kv => new TcpFlowGroup(Endpoint.WithName(kv.Key.Item1, kv.Key.Item2), Endpoint.WithName(kv.Key.Item3, kv.Key.Item4),
                kv.Value.Count, kv.Value.Bad, kv.Value.Retrans, kv.Value.P(50), kv.Value.P(99), kv.Value.Max()))
            .OrderByDescending(g => g.MaxMicros ?? double.PositiveInfinity)
            .ThenByDescending(g => g.SynRetransmits + g.Failed)
            .ThenBy(g => g.Client, StringComparer.Ordinal).ThenBy(g => g.Server, StringComparer.Ordinal)
            .Take(top).ToList();
    }

    public static List<IcmpPairGroup> Icmp(IReadOnlyList<IcmpEcho> echoes, int top)
    {
        var groups = new Dictionary<(string, string), Acc>();
        foreach (var e in echoes)
        {
            var key = (e.Src, e.Dst);
            if (!groups.TryGetValue(key, out var acc)) groups[key] = acc = new Acc();
            acc.Count++;
            if (e.RttMicros is { } v && double.IsFinite(v)) acc.Values.Add(v); else acc.Bad++;
            if (e.Cpu is { } cpu) acc.Cpus.Add(cpu);
        }
        return groups
            .Select(kv => new IcmpPairGroup(kv.Key.Item1, kv.Key.Item2, kv.Value.Count, kv.Value.Bad,
                kv.Value.P(50), kv.Value.P(99), kv.Value.Max(), kv.Value.Cpus.Order().ToList()))
            .OrderByDescending(g => g.MaxMicros ?? double.PositiveInfinity)
            .ThenByDescending(g => g.Unanswered)
            .ThenBy(g => g.Src, StringComparer.Ordinal).ThenBy(g => g.Dst, StringComparer.Ordinal)
            .Take(top).ToList();
    }

    private sealed class Acc
    {
        public int Count, Bad, Retrans;
        public List<double> Values = [];
        public HashSet<int> Cpus = [];
        private double[]? _sorted;
        private double[] Sorted()
        {
            if (_sorted != null) return _sorted;
            _sorted = Values.ToArray();
            Array.Sort(_sorted);
            return _sorted;
        }
        public double? P(double p) => Values.Count == 0 ? null : Percentiles.NearestRank(Sorted(), p);
        public double? Max() => Values.Count == 0 ? null : Sorted()[^1];
    }
}
