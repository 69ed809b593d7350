using System.Globalization;
using System.Net;
using NetTrace.Analyzer.Model;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Cli.Commands;

/// <summary>
/// Joins what the kernel said during the live demo (conntrack counters, the eBPF probe's clash drops) into the
/// findings the captures produced, and names the lab's pods on its handshakes as metadata enrichment would.
/// </summary>
public static class DemoEvidence
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The paired capture finding's first evidence line: how many inner connects lost their first SYN.</summary>
    public const string LosersLabelPrefix = "inner connects whose first SYN never left the NAT";

    public static AnalysisResult Join(AnalysisResult captures, SnatRaceResult lab, DemoConnectCounts? connects = null)
    {
        var podNames = Enumerable.Range(0, lab.Options.Pods).ToDictionary(i => SnatRaceTopology.PodIp(i).ToString(), i => $"pod{i}");
        var handshakes = captures.Handshakes.Select(h =>
            h.ClientName == null && podNames.TryGetValue(Address(h.Client), out var name) ? h with { ClientName = name } : h).ToList();

        var findings = captures.Findings.ToList();
        int at = findings.FindIndex(f => f.Kind == NetTrace.Analyzer.Detectors.SnatRaceDetector.Kind);
        if (at >= 0) findings[at] = WithKernelEvidence(findings[at], lab, connects);
        else if (LabSnatRaceFinding.Build(lab) is { } labFinding) findings.Insert(0, labFinding);
        return captures with { Handshakes = handshakes, Findings = findings };
    }

    /// <summary>Connects the capture finding says lost their first SYN inside the NAT, or null when it has no such line.</summary>
    public static int? AffectedConnects(Finding f) =>
        f.Evidence.FirstOrDefault(e => e.Label.StartsWith(LosersLabelPrefix, StringComparison.Ordinal)) is { } e
        && int.TryParse(e.Value, NumberStyles.Integer, Inv, out int n) ? n : null;

    private static Finding WithKernelEvidence(Finding f, SnatRaceResult lab, DemoConnectCounts? connects)
    {
        var evidence = f.Evidence.ToList();
        long failed = lab.InsertFailed;
        int? affected = AffectedConnects(f);
        // Insert after the headline lines so the terminal's first lines carry the kernel's agreement.
        int pos = Math.Min(2, evidence.Count);
        var kernel = new List<Evidence>
        {
            new("conntrack insert_failed / drop rise in the node namespace over the same run", $"+{failed} / +{lab.Conntrack.Drop}"),
        };
        if (lab.Live is { } live)
            kernel.Add(new("clash drops seen live by the eBPF conntrack NAT probe (unconfirmed conntrack, NETFILTER_DROP)",
                $"{live.Clashes.Count}, {live.Clashes.Count(c => c.Winner != null)} with the winning connection, {live.LostEvents} events lost"));
        if (connects is { } c)
            kernel.Add(new("connects that retransmitted their SYN, seen by the tcpconnect eBPF probe in the pods",
                $"{c.WithSynRetransmit} of {c.Completed}, {c.LostEvents} events lost"));
        evidence.InsertRange(pos, kernel);
        bool agree = affected is int a && failed > 0 && Math.Abs(a - failed) <= Math.Max(1, 0.02 * failed);
        bool liveAgree = lab.Live is { } l && l.CountsAgree;
        double confidence = Math.Max(f.Confidence, agree ? (liveAgree ? 0.99 : 0.97) : f.Confidence);
        return f with
        {
            Title = f.Title + $"; the kernel counted {failed} failed conntrack insert(s) in the same run",
            Confidence = Math.Round(confidence, 2),
            Evidence = evidence,
        };
    }

    private static string Address(string endpoint) => IPEndPoint.TryParse(endpoint, out var ep) ? ep.Address.ToString() : endpoint;
}
