using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Data;

/// <summary>
/// What the SNAT-race section shows, taken from the handshakes themselves rather than from a finding's display
/// strings: the connects of the capture where pods are still distinguishable (pre-NAT, the file with the most
/// connects that waited for a SYN retransmit — after MASQUERADE every pod has the node's address), their connect
/// latencies over time, and per pod how many waited.
/// </summary>
public sealed class SnatRaceView
{
    public sealed record PodRow(string Pod, string Address, int Connects, int Waited);

    public IReadOnlyList<Finding> Findings { get; }
    public string? SourceFile { get; }
    public LatencySeries Latency { get; }
    public IReadOnlyList<PodRow> Pods { get; }

    private SnatRaceView(IReadOnlyList<Finding> findings, string? file, LatencySeries latency, IReadOnlyList<PodRow> pods)
    {
        Findings = findings; SourceFile = file; Latency = latency; Pods = pods;
    }

    public static bool IsSnatRace(Finding f) => f.Kind.StartsWith("snat-port-race", StringComparison.Ordinal);

    /// <summary>Null when no SNAT-race finding is present.</summary>
    public static SnatRaceView? From(AnalysisResult r)
    {
        var findings = r.Findings.Where(IsSnatRace).ToList();
        if (findings.Count == 0) return null;
        var byFile = r.Handshakes.GroupBy(h => h.SourceFile ?? "").ToList();
        var chosen = byFile.OrderByDescending(g => g.Count(Waited)).ThenByDescending(g => g.Count()).FirstOrDefault();
        var hs = chosen?.ToList() ?? [];
        var latency = new LatencySeries("Connect time (first SYN → ACK)", hs.Select(h => h.SynTime).ToArray(),
            hs.Select(ConnectMicros).ToArray());
        var usable = Enumerable.Range(0, latency.Count).Where(i => double.IsFinite(latency.Micros[i])).ToArray();
        latency = new LatencySeries(latency.Name, usable.Select(i => latency.Times[i]).ToArray(), usable.Select(i => latency.Micros[i]).ToArray());
        var pods = hs.GroupBy(h => Address(h.Client))
            .Select(g => new PodRow(g.Select(h => h.ClientName).FirstOrDefault(n => !string.IsNullOrEmpty(n)) ?? g.Key, g.Key,
                g.Count(), g.Count(Waited)))
            .Where(p => p.Waited > 0)
            .OrderByDescending(p => p.Waited).ThenBy(p => p.Address, StringComparer.Ordinal)
            .ToList();
        return new SnatRaceView(findings, chosen?.Key, latency, pods);
    }

    /// <summary>A connect that needed a SYN retransmit: the cost of a clash is one initial RTO.</summary>
    public static bool Waited(Handshake h) => h.SynRetransmits > 0 || h.SynRetransmitGapsMicros.Count > 0;

    private static double ConnectMicros(Handshake h) => h.AckRttMicros ?? h.SynAckRttMicros ?? double.NaN;

    /// <summary>"10.0.0.1:123" → "10.0.0.1", "[fd00::1]:123" → "fd00::1".</summary>
    public static string Address(string endpoint)
    {
        if (endpoint.StartsWith('['))
        {
            int close = endpoint.IndexOf(']');
            return close > 0 ? endpoint[1..close] : endpoint;
        }
        int colon = endpoint.LastIndexOf(':');
        return colon > 0 && endpoint.IndexOf(':') == colon ? endpoint[..colon] : endpoint;
    }
}
