using NetTrace.Analyzer.Model;
using Xunit;

namespace NetTrace.Reports.Tests;

public class SnatRaceSectionTests
{
    private static readonly HtmlReportOptions Fixed = new() { GeneratedAt = DateTimeOffset.UnixEpoch };

    /// <summary>
    /// Two pods racing behind a NAT as a pre-NAT capture shows them: 200 connects each, pod A lost 7 first SYNs, pod B 3
    /// (answered after the 1 s RTO), plus the post-NAT file where every client is the node and nobody waited.
    /// </summary>
    internal static AnalysisResult Race(string kind = "snat-port-race", string? podAName = null)
    {
        double t0 = 1_780_000_000;
        var hs = new List<Handshake>();
        for (int i = 0; i < 400; i++)
        {
            bool a = i % 2 == 0;
            int round = i / 2;
            bool lost = a ? round % 28 == 0 && round < 196 : round % 60 == 30 && round < 180;
            double rtt = lost ? 1_004_000 + i : 300 + i % 17;
            hs.Add(new Handshake
            {
                Client = $"10.244.0.{(a ? 10 : 11)}:{20000 + round}", Server = "203.0.113.10:8080", SynTime = t0 + round * 0.005,
                SynAckRttMicros = rtt - 40, AckRttMicros = rtt, SynRetransmits = lost ? 1 : 0,
                SynRetransmitGapsMicros = lost ? [1_003_900] : [], Outcome = HandshakeOutcome.Established,
                ClientName = a ? podAName : null, SourceFile = "/tmp/lab/pre.pcap",
            });
            hs.Add(new Handshake
            {
                Client = $"203.0.113.1:{20000 + i}", Server = "203.0.113.10:8080", SynTime = t0 + round * 0.005 + (lost ? 1.004 : 0),
                SynAckRttMicros = 200, AckRttMicros = 240, Outcome = HandshakeOutcome.Established, SourceFile = "/tmp/lab/post.pcap",
            });
        }
        var finding = new Finding
        {
            Kind = kind, Title = "SNAT port race: 10 connect(s) lost their first SYN inside the NAT", Severity = Severity.High,
            Confidence = 0.95, Remediation = "Add --random-fully", Affects = ["10.244.0.10 (7)", "10.244.0.11 (3)"],
        };
        return TestModels.Empty([finding]) with { Handshakes = hs };
    }

    private static string Section(string html)
    {
        int start = html.IndexOf("<section id=\"snat-race\">", StringComparison.Ordinal);
        Assert.True(start > 0, "no SNAT race section");
        return html[start..html.IndexOf("</section>", start, StringComparison.Ordinal)];
    }

    [Theory]
    [InlineData("snat-port-race")]
    [InlineData("snat-port-race-suspected")]
    public void A_snat_race_finding_gets_the_timeline_and_the_per_pod_counts(string kind)
    {
        var s = Section(HtmlReport.Render(Race(kind), Fixed));
        Assert.Contains("id=\"chart-snat-race\"", s);
        Assert.Contains("pre.pcap: 400 answered; 10 waited for a SYN retransmit", s);
        // Pod A first (most losses), then pod B; the node's post-NAT address is not a pod.
        int a = s.IndexOf("<td class=\"mono\">10.244.0.10</td><td class=\"num\">200</td><td class=\"num\">7</td>", StringComparison.Ordinal);
        int b = s.IndexOf("<td class=\"mono\">10.244.0.11</td><td class=\"num\">200</td><td class=\"num\">3</td>", StringComparison.Ordinal);
        Assert.True(a > 0 && b > a, s);
        Assert.DoesNotContain("203.0.113.1<", s);
    }

    [Fact]
    public void Pod_names_from_metadata_are_shown_and_escaped()
    {
        var s = Section(HtmlReport.Render(Race(podAName: TestModels.PodPayload), Fixed));
        Assert.Contains("<td>" + Html.HtmlText.Escape(TestModels.PodPayload) + "</td><td class=\"mono\">10.244.0.10</td>", s);
        Assert.DoesNotContain("<iframe", s);
        Assert.Contains("<td>10.244.0.11</td>", s);   // no name known: the inner address stands for the pod
    }

    [Fact]
    public void No_snat_race_finding_no_section()
    {
        var other = Race() with
        {
            Findings = [new Finding { Kind = "syn-retransmit-initial-rto", Title = "SYNs lost", Severity = Severity.High, Confidence = 0.8, Remediation = "x" }],
        };
        Assert.DoesNotContain("id=\"snat-race\"", HtmlReport.Render(other, Fixed));
        Assert.DoesNotContain("id=\"snat-race\"", HtmlReport.Render(TestModels.Empty(), Fixed));
    }
}
