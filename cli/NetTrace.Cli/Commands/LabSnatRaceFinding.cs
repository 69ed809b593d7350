using System.Globalization;
using NetTrace.Analyzer.Model;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Cli.Commands;

/// <summary>
/// The lab's run as one finding, in the analyzer's model: connects that waited for a SYN retransmit (the clients'
/// own measurement), the conntrack insert_failed rise over the same window, and — with --trace — the clash drops
/// the eBPF probe saw, each naming the pod that lost. Confidence grows with every independent source that agrees.
/// </summary>
public static class LabSnatRaceFinding
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Finding? Build(SnatRaceResult r)
    {
        if (r.SlowConnects == 0 && r.InsertFailed == 0 && (r.Live?.Clashes.Count ?? 0) == 0) return null;
        var live = r.Live;
        double confidence = r.InsertFailed > 0 ? 0.6 : 0.3;                       // something lost inserts, or only slow connects
        if (r.CountsMatch && r.InsertFailed > 0) confidence += 0.2;                // every slow connect accounted for by the kernel
        if (live != null && live.CountsAgree && live.Clashes.All(c => c.Winner != null)) confidence += 0.15;  // and seen, pair by pair
        var start = r.Connects.Count > 0 ? r.Connects.Min(c => c.StartUnixSeconds) : (double?)null;
        var end = r.Connects.Where(c => c.Slow).Select(c => c.StartUnixSeconds + (c.LatencySeconds ?? 0)).DefaultIfEmpty().Max();
        var evidence = new List<Evidence>
        {
            new("connects that waited for a SYN retransmit (>= 1 s)", $"{r.SlowConnects} of {r.Connects.Count}"),
            new("conntrack insert_failed / drop rise (node namespace)", $"+{r.InsertFailed} / +{r.Conntrack.Drop}"),
        };
        if (live != null)
        {
            evidence.Add(new("clash drops seen by the eBPF probe (unconfirmed conntrack, NETFILTER_DROP)",
                $"{live.Clashes.Count}, {live.Clashes.Count(c => c.Winner != null)} with the winning connection, {live.LostEvents} events lost"));
            foreach (var c in live.Clashes.Where(c => c.Winner != null).Take(3))
                evidence.Add(new($"{Pod(c.Loser.Inner.Address)} lost", $"{c.Loser.Inner} → {c.Loser.Remote} as {c.Loser.Outer}, " +
                    $"taken {c.GapMicros?.ToString("0", Inv)} µs earlier by {Pod(c.Winner!.Inner.Address)} ({c.Winner.Inner})"));
        }
        evidence.Add(new("NAT rule", "iptables -t nat " + r.NatRule));
        return new Finding
        {
            Kind = "snat-port-race",
            Title = $"SNAT port race: {r.InsertFailed} conntrack insert(s) failed and {r.SlowConnects} connect(s) waited 1 s for a SYN retransmit",
            Severity = Severity.High,
            Confidence = Math.Round(Math.Min(confidence, 0.95), 2),
            WindowStart = start,
            WindowEnd = end > 0 ? end : null,
            Affects = r.SlowPerPod.OrderBy(k => k.Key).Select(k => $"pod{k.Key} ({SnatRaceTopology.PodIp(k.Key)}): {k.Value} slow connect(s)").ToList(),
            Evidence = evidence,
            Remediation = r.Options.RandomFully
                ? "The rule already uses --random-fully; clashes left are rare port collisions of the random choice."
                : "Add --random-fully to the MASQUERADE rule (try: nettrace lab snat-race --random-fully).",
        };
    }

    private static string Pod(System.Net.IPAddress a)
    {
        var b = a.GetAddressBytes();
        return b.Length == 4 && b[0] == 10 && b[1] == 244 && b[2] == 0 && b[3] >= 10 ? $"pod{b[3] - 10}" : a.ToString();
    }
}
