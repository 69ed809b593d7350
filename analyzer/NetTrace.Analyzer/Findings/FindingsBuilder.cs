using System.Globalization;
using NetTrace.Analyzer.Flows;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Findings;

/// <summary>
/// Turns handshakes and echoes into named causes with evidence. Confidence drops when the input was damaged
/// (a truncated file may hide the SYN-ACK that would have answered a "lost" SYN).
/// </summary>
public static class FindingsBuilder
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static List<Finding> Build(IReadOnlyList<Handshake> handshakes, IReadOnlyList<IcmpEcho> echoes,
        IReadOnlyList<InputProblem> problems, IReadOnlyList<SourceInfo> sources, AnalyzeSettings settings)
    {
        // Compact structs, not records: a capture's handshakes are never materialized for the findings.
        using var hs = Table(handshakes, settings);
        return Build(hs, echoes, problems, sources, settings);
    }

    /// <summary>The handshakes as the findings read them; a caller that has more detectors to run builds it once.</summary>
    internal static HandshakeTable Table(IReadOnlyList<Handshake> handshakes, AnalyzeSettings settings) =>
        HandshakeTable.From(handshakes, Math.Min(settings.ResidentResultChunks, ChunkedStore<HandshakeFact>.DefaultMaxResidentChunks));

    internal static List<Finding> Build(HandshakeTable hs, IReadOnlyList<IcmpEcho> echoes,
        IReadOnlyList<InputProblem> problems, IReadOnlyList<SourceInfo> sources, AnalyzeSettings settings)
    {
        double trust = sources.Any(s => !s.Complete) ? 0.6
            : problems.Any(p => p.Severity != ProblemSeverity.Info) ? 0.8 : 1.0;
        var findings = new List<Finding>();
        SynRetransmits(hs, trust, findings);
        SlowHandshakes(hs, settings, trust, findings);
        Unanswered(hs, trust, findings);
        Refused(hs, trust, findings);
        EchoLoss(echoes, trust, findings);
        findings.AddRange(Detectors.SnatRaceDetector.Detect(hs, trust));
        return findings;
    }

    /// <summary>First SYN gap near 1 s (Linux TCP_TIMEOUT_INIT) or 3 s (older kernels / Windows): the initial RTO fired.</summary>
    public static bool IsInitialRtoGap(double gapMicros) =>
        gapMicros is >= 800_000 and <= 1_500_000 or >= 2_500_000 and <= 3_600_000;

    /// <summary>
    /// Who a finding affects: the client pods that metadata enrichment named (recordings), then the servers — by their
    /// pod / Service name when known, else "ip:port". Captures carry no names, so for them it is the servers only.
    /// </summary>
    private static List<string> Affected(HandshakeTable hs, List<HandshakeFact> l)
    {
        var pods = l.Select(h => hs.ClientName(h.Client)).OfType<string>().Distinct().Take(10);
        var servers = l.Select(h => h.Server).Distinct().Take(10).Select(e => hs.ServerName(e) ?? hs.Text(e)).Distinct();
        return pods.Concat(servers).ToList();
    }

    private static string Named(string endpoint, string? name) => name == null ? endpoint : $"{name} ({endpoint})";

    private static List<HandshakeFact> Where(HandshakeTable hs, Func<HandshakeFact, bool> keep)
    {
        var l = new List<HandshakeFact>();
        for (int i = 0; i < hs.Count; i++)
            if (keep(hs[i])) l.Add(hs[i]);
        return l;
    }

    private static void SynRetransmits(HandshakeTable hs, double trust, List<Finding> into)
    {
        var retried = Where(hs, h => h.SynRetransmits > 0);
        if (retried.Count == 0) return;
        var atRto = retried.Where(h => h.GapCount > 0 && IsInitialRtoGap(hs.Gap(h, 0))).ToList();
        int oneSecond = atRto.Count(h => hs.Gap(h, 0) < 2_000_000);
        int threeSeconds = atRto.Count - oneSecond;
        int establishedLate = retried.Count(h => h.Outcome == HandshakeOutcome.Established);
        int neverAnswered = retried.Count(h => h.Outcome == HandshakeOutcome.Unanswered);
        bool rto = atRto.Count > 0;
        var severity = establishedLate > 0 && rto ? Severity.High : rto ? Severity.Medium : Severity.Low;
        var evidence = new List<Evidence>
        {
            // Most telling first: the terminal shows the first four lines.
            new("connects with retransmitted SYNs", $"{retried.Count} of {hs.Count}"),
            new("first retransmit after ~1 s (initial RTO)", oneSecond.ToString(Inv)),
            new(rto ? "established after retransmitting (each paid ≥ 1 RTO)" : "established after retransmitting", establishedLate.ToString(Inv)),
            new("never answered", neverAnswered.ToString(Inv)),
            new("first retransmit after ~3 s (old initial RTO)", threeSeconds.ToString(Inv)),
            new("first retransmit at another gap", (retried.Count - atRto.Count).ToString(Inv)),
        };
        foreach (var h in retried.OrderByDescending(h => h.SynRetransmits).Take(3))
            evidence.Add(new($"example {Named(hs.Text(h.Client), hs.ClientName(h.Client))} → {Named(hs.Text(h.Server), hs.ServerName(h.Server))}",
                $"{h.SynRetransmits} retransmit(s), gaps {string.Join(" / ", hs.Gaps(h).Select(g => (g / 1e6).ToString("0.00", Inv) + " s"))}, {h.Outcome.ToString().ToLowerInvariant()}"));
        into.Add(new Finding
        {
            Kind = rto ? "syn-retransmit-initial-rto" : "syn-retransmit",
            Title = rto
                ? $"{atRto.Count} connect(s) retransmitted the SYN at the initial RTO (1 s / 3 s): the first SYN or its SYN-ACK was lost"
                : $"{retried.Count} connect(s) retransmitted their SYN",
            Severity = severity,
            Confidence = Math.Round((rto ? 0.9 : 0.6) * trust, 2),
            WindowStart = retried.Min(h => h.SynTime),
            WindowEnd = retried.Max(h => h.SynTime + (hs.GapSum(h) / 1e6)),
            Affects = Affected(hs, retried),
            Evidence = evidence,
            Remediation = rto
                ? "A SYN repeated after exactly the initial RTO means the first SYN or its SYN-ACK was dropped. " +
                  "On Kubernetes nodes the classic cause is the SNAT/conntrack port race (check `conntrack -S` insert_failed, " +
                  "add --random-fully to MASQUERADE rules, or use a CNI that avoids SNAT for pod traffic); also check the " +
                  "server's listen queue (nstat ListenOverflows/ListenDrops) and drops on the path (`nettrace trace`)."
                : "The SYNs were repeated at gaps other than the kernel's initial RTO: a client retrying on its own timer, " +
                  "a route with a lowered rto_min, or SYN-ACKs lost after the capture point. Compare with a capture on the " +
                  "server side to see which direction lost packets.",
        });
    }

    private static void SlowHandshakes(HandshakeTable hs, AnalyzeSettings settings, double trust, List<Finding> into)
    {
        double limit = settings.SlowHandshake.TotalMicroseconds;
        // A handshake slowed by a SYN retransmit is explained by the retransmit finding; this one is about slow answers.
        var slow = Where(hs, h => !double.IsNaN(h.SynAckRtt) && h.SynRetransmits == 0 && h.SynAckRtt > limit).OrderByDescending(h => h.SynAckRtt).ToList();
        if (slow.Count == 0) return;
        var all = new List<double>();
        for (int i = 0; i < hs.Count; i++)
            if (!double.IsNaN(hs[i].SynAckRtt)) all.Add(hs[i].SynAckRtt);
        all.Sort();
        var evidence = new List<Evidence>
        {
            new("slow handshakes", $"{slow.Count} of {all.Count} answered"),
            new("threshold SYN→SYN-ACK", $"{limit / 1000:0} ms"),
            new("median SYN→SYN-ACK of all answered", $"{Percentiles.Of(all, 0.5) / 1000:0.000} ms"),
        };
        foreach (var h in slow.Take(3))
            evidence.Add(new($"{hs.Text(h.Client)} → {hs.Text(h.Server)}", $"SYN→SYN-ACK {h.SynAckRtt / 1000:0.000} ms"));
        into.Add(new Finding
        {
            Kind = "slow-handshake",
            Title = $"{slow.Count} handshake(s) waited more than {limit / 1000:0} ms for the SYN-ACK (worst {slow[0].SynAckRtt / 1000:0} ms)",
            Severity = slow[0].SynAckRtt > 1_000_000 ? Severity.High : Severity.Medium,
            Confidence = Math.Round(0.8 * trust, 2),
            WindowStart = slow.Min(h => h.SynTime),
            WindowEnd = slow.Max(h => h.SynTime),
            Affects = Affected(hs, slow),
            Evidence = evidence,
            Remediation = "The SYN-ACK itself came late. Compare with ICMP RTT to the same server: fast pings with a slow " +
                "SYN-ACK point at the server host (accept queue, SYN cookies, CPU or softirq stalls), slow pings too point " +
                "at the path (queueing, shaping). `nettrace trace` shows softirq delay per CPU on this node.",
        });
    }

    private static void Unanswered(HandshakeTable hs, double trust, List<Finding> into)
    {
        var un = Where(hs, h => h.Outcome == HandshakeOutcome.Unanswered);
        if (un.Count == 0) return;
        into.Add(new Finding
        {
            Kind = "syn-unanswered",
            Title = $"{un.Count} connect(s) got no answer to their SYN",
            Severity = un.Count * 10 >= hs.Count ? Severity.High : Severity.Medium,
            // A capture cut short may simply end before the answer.
            Confidence = Math.Round(0.7 * trust, 2),
            WindowStart = un.Min(h => h.SynTime),
            WindowEnd = un.Max(h => h.SynTime),
            Affects = Affected(hs, un),
            Evidence = un.GroupBy(h => h.Server).OrderByDescending(g => g.Count()).Take(5)
                .Select(g => new Evidence("server " + hs.Text(g.Key), $"{g.Count()} unanswered connect(s)")).ToList(),
            Remediation = "Nothing came back: the server is down or filtered (a firewall dropping instead of rejecting), " +
                "or replies are lost on the way back (asymmetric routing, conntrack dropping INVALID packets).",
        });
    }

    private static void Refused(HandshakeTable hs, double trust, List<Finding> into)
    {
        var refused = Where(hs, h => h.Outcome == HandshakeOutcome.Refused);
        if (refused.Count == 0) return;
        into.Add(new Finding
        {
            Kind = "connection-refused",
            Title = $"{refused.Count} connect(s) were refused with a RST",
            Severity = Severity.Low,
            Confidence = Math.Round(0.95 * trust, 2),
            WindowStart = refused.Min(h => h.SynTime),
            WindowEnd = refused.Max(h => h.SynTime),
            Affects = Affected(hs, refused),
            Evidence = refused.GroupBy(h => h.Server).OrderByDescending(g => g.Count()).Take(5)
                .Select(g => new Evidence("server " + hs.Text(g.Key), $"{g.Count()} refused")).ToList(),
            Remediation = "Nothing listens on that port (or a firewall rejects with RST). For a Service, check that it " +
                "has ready endpoints and that targetPort matches the container port.",
        });
    }

    private static void EchoLoss(IReadOnlyList<IcmpEcho> echoes, double trust, List<Finding> into)
    {
        if (echoes.Count == 0) return;
        var lost = echoes.Where(e => e.RttMicros is null && !e.ReceiverOnly).ToList();
        if (lost.Count == 0) return;
        into.Add(new Finding
        {
            Kind = "icmp-echo-unanswered",
            Title = $"{lost.Count} of {echoes.Count} ICMP echo request(s) got no reply",
            Severity = lost.Count * 10 >= echoes.Count ? Severity.Medium : Severity.Low,
            Confidence = Math.Round(0.7 * trust, 2),
            WindowStart = lost.Min(e => e.RequestTime),
            WindowEnd = lost.Max(e => e.RequestTime),
            Affects = lost.Select(e => e.Dst).Distinct().Take(10).ToList(),
            Evidence = lost.GroupBy(e => e.Src + " → " + e.Dst).OrderByDescending(g => g.Count()).Take(5)
                .Select(g => new Evidence(g.Key, $"{g.Count()} unanswered")).ToList(),
            Remediation = "Echo replies missing: ICMP filtered or rate-limited (icmp_ratelimit), the host is unreachable, " +
                "or the capture saw only one direction. Duplicated requests (the same request captured twice) also leave " +
                "one copy unanswered.",
        });
    }
}
