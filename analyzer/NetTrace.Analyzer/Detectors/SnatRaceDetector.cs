using System.Globalization;
using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Detectors;

/// <summary>
/// The netfilter SNAT port race, from captures.
/// <para>Given pre- and post-NAT captures of the same traffic: SNAT rewrites addresses and ports but not the TCP
/// sequence number, so a connection is the same on both sides by (ISN, server). A first SYN seen before the NAT
/// with no copy after it, whose retransmit one initial RTO later does come out (under another port), was dropped
/// inside the node; another inner connection that left at that same moment on the outer ip:port this one would
/// have kept (MASQUERADE keeps a free source port) is the winner of the clash — "two inner flows mapped to the same
/// outer ip:port". That is the race itself, seen.</para>
/// <para>From one capture (taken where the first SYN is still visible: pod side, bridge): first SYNs lost and
/// answered immediately on the 1 s / 3 s retransmit, several of them, clustered in time, to a server that answers
/// everyone else — only a suspicion, raised when another client started a connection to the same server from the
/// same source port at the same moment (the pre-NAT shape of a clash).</para>
/// </summary>
public static class SnatRaceDetector
{
    public const string Kind = "snat-port-race";
    public const string SuspectedKind = "snat-port-race-suspected";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Two inner SYNs this close, same server and source port, are racing for the same outer port.</summary>
    internal const double RaceWindowSeconds = 0.010;
    /// <summary>Lost first SYNs further apart than this are separate clusters.</summary>
    internal const double ClusterGapSeconds = 30;
    /// <summary>Captures of one host share a clock; allow for two hosts' clocks and capture buffering.</summary>
    internal const double CrossCaptureSlackSeconds = 0.050;

    public static IReadOnlyList<Finding> Detect(IReadOnlyList<Handshake> handshakes, double trust = 1.0)
    {
        using var table = HandshakeTable.From(handshakes);
        return Detect(table, trust);
    }

    internal static IReadOnlyList<Finding> Detect(HandshakeTable table, double trust)
    {
        // Handshakes with real ip:port endpoints, by input file in order of appearance (table indices, no objects).
        var byFile = new Dictionary<int, List<int>>();
        var fileOrder = new List<int>();
        for (int i = 0; i < table.Count; i++)
        {
            var h = table[i];
            if (!h.Parsed) continue;
            if (!byFile.TryGetValue(h.File, out var list))
            {
                byFile.Add(h.File, list = []);
                fileOrder.Add(h.File);
            }
            list.Add(i);
        }
        var findings = new List<Finding>();
        // Pairing across a NAT needs two files; only then is every handshake made an object.
        var paired = fileOrder.Count < 2 ? new SnatRacePairing.Result([], 0, null, null)
            : SnatRacePairing.Find(fileOrder.SelectMany(f => byFile[f]).Order().Select(i => SnatRaceTcp.From(table, i)!).ToList());
        if (paired.Losers.Count > 0) findings.Add(PairedFinding(paired, trust));
        var pairedFiles = paired.InnerFiles;
        foreach (int file in fileOrder)
        {
            // A pre-NAT file already explained by the pairing needs no second, weaker finding.
            if (paired.Losers.Count > 0 && pairedFiles.Contains(table.FileOf(table[byFile[file][0]]))) continue;
            if (SingleCapture(table, byFile[file], trust) is { } f) findings.Add(f);
        }
        return findings;
    }

    private static Finding? SingleCapture(HandshakeTable table, List<int> all, double trust)
    {
        var lost = all.Where(i => SnatRaceTcp.LostFirstSynThenRecovered(table, table[i])).Select(i => SnatRaceTcp.From(table, i)!)
            .OrderBy(t => t.FirstSyn).ToList();
        if (lost.Count == 0) return null;
        // Pre-NAT clash shape: another client, same server and source port, SYN at the same moment. Only the lost
        // ones' (server, source port) keys are collected, in handshake order.
        var byServerPort = lost.Select(l => (l.Server.Ip, l.Server.Port, l.Client.Port)).Distinct().ToDictionary(k => k, _ => new List<int>());
        foreach (int i in all)
        {
            var h = table[i];
            if (byServerPort.TryGetValue((h.Server.Ip, h.Server.Port, h.Client.Port), out var same)) same.Add(i);
        }
        SnatRaceTcp? Twin(SnatRaceTcp l)
        {
            foreach (int o in byServerPort[(l.Server.Ip, l.Server.Port, l.Client.Port)])
            {
                var h = table[o];
                if (o != l.Index && !h.Client.Ip.Equals(l.Client.Ip) && Math.Abs(h.SynTime - l.FirstSyn) <= RaceWindowSeconds)
                    return SnatRaceTcp.From(table, o);
            }
            return null;
        }
        var twins = lost.Select(l => (Lost: l, Twin: Twin(l))).ToList();
        int withTwin = twins.Count(t => t.Twin != null);

        var cluster = LargestCluster(lost);
        if (cluster.Count < 2 && withTwin == 0) return null;   // one lost SYN alone is the generic retransmit finding

        // The server answered the others: connects to the same servers in the cluster window that needed no retransmit.
        double from = cluster[0].FirstSyn, to = cluster[^1].FirstSyn;
        var servers = cluster.Select(c => (c.Server.Ip, c.Server.Port)).ToHashSet();
        int around = 0, clean = 0;
        foreach (int i in all)
        {
            var h = table[i];
            if (!servers.Contains((h.Server.Ip, h.Server.Port)) || h.SynTime < from - 1 || h.SynTime > to + 1) continue;
            around++;
            if (h.SynRetransmits == 0 && h.Outcome == HandshakeOutcome.Established) clean++;
        }
        if (clean == 0 && withTwin == 0) return null;         // nobody got through at once: a path or server problem

        double share = (double)withTwin / lost.Count;
        double confidence = Math.Round(Math.Min(0.85, 0.35 + 0.5 * share + (cluster.Count >= 5 ? 0.05 : 0)) * trust, 2);
        var evidence = new List<Evidence>
        {
            new("connects whose first SYN was lost and whose 1 s / 3 s retransmit was answered at once", lost.Count.ToString(Inv)),
            new("lost SYNs with a concurrent SYN from another client, same source port and server (within 10 ms)", withTwin.ToString(Inv)),
        };
        var twinExamples = twins.Where(x => x.Twin != null).Take(3).Select(x => new Evidence($"example at {Time(x.Lost.FirstSyn)}",
            $"{x.Lost.ClientText} lost its SYN to {x.Lost.ServerText} while {x.Twin!.ClientText} sent one {Math.Abs(x.Twin.FirstSyn - x.Lost.FirstSyn) * 1e6:0} µs apart (same source port)")).ToList();
        var plainExamples = cluster.Where(c => twins.All(x => x.Lost != c || x.Twin == null)).Take(Math.Max(0, 3 - twinExamples.Count))
            .Select(l => new Evidence($"example at {Time(l.FirstSyn)}", $"{l.ClientText} → {l.ServerText}: SYN retransmitted after {(l.SynTimes[1] - l.FirstSyn):0.000} s, then answered")).ToList();
        var allExamples = twinExamples.Concat(plainExamples).ToList();
        if (allExamples.Count > 0) evidence.Add(allExamples[0]);
        evidence.Add(new("connects to the same server(s) in that window answered on the first SYN", $"{clean} of {around}"));
        evidence.Add(new("of the lost ones clustered within " + ClusterGapSeconds.ToString(Inv) + " s", cluster.Count.ToString(Inv)));
        evidence.AddRange(allExamples.Skip(1));
        return new Finding
        {
            Kind = SuspectedKind,
            Title = $"SNAT port race suspected: {lost.Count} connect(s) lost only their first SYN, in a cluster, while the server answered others",
            Severity = Severity.Medium,
            Confidence = confidence,
            WindowStart = lost[0].FirstSyn,
            WindowEnd = lost[^1].LastSyn,
            Affects = lost.GroupBy(l => l.Client.Ip.ToString()).OrderByDescending(g => g.Count())
                .Select(g => $"{g.Key} ({g.Count()} lost SYN{(g.Count() == 1 ? "" : "s")})").Take(10).ToList(),
            Evidence = evidence,
            Remediation = Remedy + " To confirm from captures, capture before and after the node's NAT (e.g. on the pod " +
                "bridge and on the uplink) and analyse both files together: nettrace analyze pre.pcap post.pcap.",
        };
    }

    private static Finding PairedFinding(SnatRacePairing.Result r, double trust)
    {
        var losers = r.Losers;
        int withWinner = losers.Count(l => l.Winner != null);
        // The terminal shows the first four lines: count, who lost, one clash spelled out, how many had a winner.
        var evidence = new List<Evidence>
        {
            new("inner connects whose first SYN never left the NAT (retransmit did, 1 s / 3 s later)", losers.Count.ToString(Inv)),
            new("lost first SYNs by pod address", string.Join(", ", losers.GroupBy(l => l.Inner.Client.Ip.ToString())
                .OrderByDescending(g => g.Count()).Select(g => $"{g.Key}: {g.Count()}"))),
        };
        var examples = losers.Where(l => l.Winner != null).Take(5).Select(l =>
        {
            var w = l.Winner!;
            return new Evidence($"clash at {Time(l.Inner.FirstSyn)}",
                $"{w.Inner.ClientText} (won) and {l.Inner.ClientText} (lost, SYNs {Math.Abs(l.Inner.FirstSyn - w.Inner.FirstSyn) * 1e6:0} µs apart) " +
                $"→ {l.Inner.ServerText} both as {w.Outer.ClientText}; the loser's retransmit left {(l.Outer.FirstSyn - l.Inner.FirstSyn):0.000} s later as {l.Outer.ClientText}");
        }).ToList();
        if (examples.Count > 0) evidence.Add(examples[0]);
        evidence.Add(new("of them with another inner flow that took the same outer ip:port at that moment", withWinner.ToString(Inv)));
        evidence.Add(new("connects paired across the NAT by ISN and server", r.PairedCount.ToString(Inv)));
        evidence.Add(new("pre-NAT capture", r.InnerFile ?? "?"));
        evidence.Add(new("post-NAT capture", r.OuterFile ?? "?"));
        evidence.AddRange(examples.Skip(1));
        double conf = withWinner > 0 ? 0.95 : 0.75;
        return new Finding
        {
            Kind = Kind,
            Title = $"SNAT port race: {losers.Count} connect(s) lost their first SYN inside the NAT" +
                    (withWinner > 0 ? $"; {withWinner} clashed with another pod's connection on the same outer ip:port" : ""),
            Severity = Severity.High,
            Confidence = Math.Round(conf * trust, 2),
            WindowStart = losers.Min(l => l.Inner.FirstSyn),
            WindowEnd = losers.Max(l => l.Outer.FirstSyn),
            Affects = losers.GroupBy(l => l.Inner.Client.Ip.ToString()).OrderByDescending(g => g.Count())
                .Select(g => $"{g.Key} ({g.Count()})").Take(10).ToList(),
            Evidence = evidence,
            Remediation = Remedy,
        };
    }

    private const string Remedy =
        "Netfilter chose the same translated source ip:port for two connections at once; the second failed its conntrack " +
        "insert (conntrack -S: insert_failed, drop) and its SYN was dropped. Add --random-fully to the node's MASQUERADE/SNAT " +
        "rules (`nettrace doctor` lists the rules without it), or avoid SNAT for this traffic.";

    private static List<SnatRaceTcp> LargestCluster(List<SnatRaceTcp> lostSorted)
    {
        List<SnatRaceTcp> best = [], cur = [];
        foreach (var l in lostSorted)
        {
            if (cur.Count > 0 && l.FirstSyn - cur[^1].FirstSyn > ClusterGapSeconds) cur = [];
            cur.Add(l);
            if (cur.Count > best.Count) best = cur;
        }
        return best;
    }

    internal static string Time(double unix) =>
        DateTimeOffset.FromUnixTimeMilliseconds((long)(unix * 1000)).ToString("HH:mm:ss.fff", Inv) + "Z";
}
