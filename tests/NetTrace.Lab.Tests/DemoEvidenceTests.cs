using NetTrace.Analyzer.Model;
using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.Tracer.Conntrack;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>How the live demo joins the kernel's counts into the capture findings.</summary>
public class DemoEvidenceTests
{
    private static SnatRaceResult Lab(int failed, int slow) => new()
    {
        Options = new SnatRaceOptions(Rounds: 10),
        NatRule = "-A POSTROUTING -s 10.244.0.0/24 -o ext0 -j MASQUERADE",
        NodeNetns = "ntsr-1-abc-node",
        Connects = Enumerable.Range(0, 20).Select(i => new ConnectSample(i % 2, i / 2, $"10.244.0.{10 + i % 2}:{20000 + i / 2}",
            1000 + i * 0.001, i < slow ? 1.01 : 0.0002, i < slow ? 1 : 0, null)).ToList(),
        Conntrack = ConntrackStats.Parse($"entries insert_failed drop\n00000000 {failed:x8} {failed:x8}\n")
            .Since(ConntrackStats.Parse("entries insert_failed drop\n00000000 00000000 00000000\n")),
        Elapsed = TimeSpan.FromSeconds(2),
    };

    private static AnalysisResult Captures(params Finding[] findings) => new()
    {
        Sources = [],
        Summary = new CaptureSummary(),
        Handshakes =
        [
            new Handshake { Client = "10.244.0.11:20000", Server = "203.0.113.10:8080", SynTime = 1000, Outcome = HandshakeOutcome.Established },
            new Handshake { Client = "203.0.113.1:20000", Server = "203.0.113.10:8080", SynTime = 1000, Outcome = HandshakeOutcome.Established },
        ],
        IcmpEchoes = [],
        Flows = [],
        Findings = findings,
        Problems = [],
    };

    private static Finding Paired(int losers) => new()
    {
        Kind = "snat-port-race", Title = $"SNAT port race: {losers} connect(s) lost their first SYN inside the NAT", Severity = Severity.High,
        Confidence = 0.95, Remediation = "--random-fully",
        Evidence = [new(DemoEvidence.LosersLabelPrefix + " (retransmit did, 1 s / 3 s later)", losers.ToString()), new("by pod", "x"), new("example", "y")],
    };

    [Fact]
    public void Kernel_counts_that_agree_join_the_capture_finding_and_raise_confidence()
    {
        var joined = DemoEvidence.Join(Captures(Paired(4)), Lab(failed: 4, slow: 4));
        var f = Assert.Single(joined.Findings);
        Assert.Equal(4, DemoEvidence.AffectedConnects(f));
        Assert.Equal(0.97, f.Confidence);
        Assert.EndsWith("the kernel counted 4 failed conntrack insert(s) in the same run", f.Title);
        Assert.Equal(new Evidence("conntrack insert_failed / drop rise in the node namespace over the same run", "+4 / +4"), f.Evidence[2]);
        // The lab knows its pods: pre-NAT clients get their names, the node's outer address does not.
        Assert.Equal(["pod1", null], joined.Handshakes.Select(h => h.ClientName));
    }

    [Fact]
    public void Counts_that_disagree_leave_the_capture_confidence_alone()
    {
        var f = Assert.Single(DemoEvidence.Join(Captures(Paired(4)), Lab(failed: 9, slow: 9)).Findings);
        Assert.Equal(0.95, f.Confidence);
        Assert.Contains(f.Evidence, e => e.Value == "+9 / +9");
    }

    [Fact]
    public void Without_a_capture_finding_the_lab_finding_stands_in_and_without_a_race_nothing_is_added()
    {
        Assert.Equal("snat-port-race", Assert.Single(DemoEvidence.Join(Captures(), Lab(failed: 2, slow: 2)).Findings).Kind);
        Assert.Empty(DemoEvidence.Join(Captures(), Lab(failed: 0, slow: 0)).Findings);
    }
}
