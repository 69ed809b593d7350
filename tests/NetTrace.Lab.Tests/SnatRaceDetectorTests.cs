using NetTrace.Analyzer;
using NetTrace.Analyzer.Detectors;
using NetTrace.Analyzer.Model;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The capture-based SNAT race detector on hand-made handshakes and on every shared capture.</summary>
public class SnatRaceDetectorTests
{
    private const double T0 = 1_800_000_000.0;
    private const string Srv = "203.0.113.10:8080";

    private static Handshake Hs(string file, string client, double syn, uint isn, double? retransmitAfter = null,
        HandshakeOutcome outcome = HandshakeOutcome.Established, string server = Srv) => new()
    {
        Client = client, Server = server, SynTime = syn, Isn = isn, SourceFile = file, Outcome = outcome,
        SynRetransmits = retransmitAfter is null ? 0 : 1,
        SynRetransmitGapsMicros = retransmitAfter is double g ? [g * 1e6] : [],
        SynAckRttMicros = outcome == HandshakeOutcome.Established ? ((retransmitAfter ?? 0) * 1e6 + 40) : null,
    };

    /// <summary>Round k: pod A wins port 20000+k, pod B's first SYN is dropped in the NAT, its retransmit leaves as 30000+k.</summary>
    private static List<Handshake> LabLike(int rounds, int lost)
    {
        var list = new List<Handshake>();
        for (int k = 0; k < rounds; k++)
        {
            double t = T0 + k * 0.001;
            uint isnA = (uint)(1000 + k), isnB = (uint)(900_000 + k);
            bool loses = k < lost;
            list.Add(Hs("pre", $"10.244.0.10:{20000 + k}", t, isnA));
            list.Add(Hs("post", $"203.0.113.1:{20000 + k}", t + 0.00002, isnA));
            list.Add(Hs("pre", $"10.244.0.11:{20000 + k}", t + 0.000005, isnB, loses ? 1.0 : null));
            list.Add(loses
                ? Hs("post", $"203.0.113.1:{30000 + k}", t + 1.000005, isnB)
                : Hs("post", $"203.0.113.1:{40000 + k}", t + 0.00003, isnB));
        }
        return list;
    }

    [Fact]
    public void Pre_and_post_nat_pairing_names_every_loser_and_its_winner()
    {
        var findings = SnatRaceDetector.Detect(LabLike(rounds: 50, lost: 7));
        var f = Assert.Single(findings, x => x.Kind == SnatRaceDetector.Kind);
        Assert.Equal(0.95, f.Confidence);
        Assert.Contains(f.Evidence, e => e.Label.StartsWith("inner connects whose first SYN never left") && e.Value == "7");
        Assert.Contains(f.Evidence, e => e.Label.StartsWith("of them with another inner flow") && e.Value == "7");
        Assert.Contains(f.Evidence, e => e.Label == "connects paired across the NAT by ISN and server" && e.Value == "100");
        Assert.Contains(f.Evidence, e => e.Value.StartsWith("10.244.0.10:20000 (won) and 10.244.0.11:20000 (lost, SYNs 5 µs apart) → 203.0.113.10:8080 both as 203.0.113.1:20000"));
        Assert.Equal("10.244.0.11: 7", f.Evidence[1].Value);          // who lost, among the four lines the terminal shows
        Assert.StartsWith("clash at ", f.Evidence[2].Label);
        Assert.Equal(["10.244.0.11 (7)"], f.Affects);
        Assert.Contains(f.Evidence, e => e.Label == "pre-NAT capture" && e.Value == "pre");
        // The pre-NAT file is explained by the pairing: no second, weaker finding for it.
        Assert.DoesNotContain(findings, x => x.Kind == SnatRaceDetector.SuspectedKind);
    }

    [Fact]
    public void File_order_does_not_decide_which_side_is_inner()
    {
        var swapped = LabLike(30, 4).Select(h => h with { SourceFile = h.SourceFile == "pre" ? "b" : "a" }).ToList();
        var f = Assert.Single(SnatRaceDetector.Detect(swapped), x => x.Kind == SnatRaceDetector.Kind);
        Assert.Contains(f.Evidence, e => e.Label == "pre-NAT capture" && e.Value == "b");
    }

    [Fact]
    public void Pre_nat_capture_alone_is_a_suspicion_with_the_same_port_twins()
    {
        var pre = LabLike(50, 7).Where(h => h.SourceFile == "pre").ToList();
        var f = Assert.Single(SnatRaceDetector.Detect(pre));
        Assert.Equal(SnatRaceDetector.SuspectedKind, f.Kind);
        Assert.InRange(f.Confidence, 0.8, 0.9);
        Assert.Contains(f.Evidence, e => e.Label.StartsWith("lost SYNs with a concurrent SYN") && e.Value == "7");
    }

    [Fact]
    public void Post_nat_capture_alone_shows_nothing_because_the_lost_syn_never_reached_it()
    {
        var post = LabLike(50, 7).Where(h => h.SourceFile == "post").ToList();
        Assert.Empty(SnatRaceDetector.Detect(post));
    }

    [Fact]
    public void A_dead_server_is_not_a_race()
    {
        // Every SYN retransmitted at 1 s and never answered (like chrissanders-http_espn_fail): nothing got through.
        var hs = Enumerable.Range(0, 6).Select(i => Hs("one", $"172.16.16.154:{64862 + i}", T0 + i * 0.05, (uint)i, 1.0, HandshakeOutcome.Unanswered)).ToList();
        Assert.Empty(SnatRaceDetector.Detect(hs));
    }

    [Fact]
    public void One_lost_syn_without_a_twin_is_left_to_the_generic_retransmit_finding()
    {
        var hs = new List<Handshake>
        {
            Hs("one", "10.0.0.5:40000", T0, 1, 1.0),
            Hs("one", "10.0.0.5:40001", T0 + 0.2, 2),
        };
        Assert.Empty(SnatRaceDetector.Detect(hs));
    }

    [Fact]
    public void The_same_packets_seen_twice_on_other_vlans_pair_with_nothing()
    {
        // zeek-vlan-collisions shape: one connection's SYN copied on several VLANs, same client, same ISN.
        var hs = new List<Handshake>
        {
            Hs("a", "141.142.228.5:59856", T0, 42) with { Vlan = null },
            Hs("a", "141.142.228.5:59856", T0 + 0.05, 42) with { Vlan = "vlan 42" },
            Hs("b", "141.142.228.5:59856", T0 + 0.1, 42) with { Vlan = "vlan 10/20" },
        };
        Assert.Empty(SnatRaceDetector.Detect(hs));
    }

    [Fact]
    public void Nothing_in_any_shared_capture_alone_or_all_together()
    {
        var files = Directory.GetFiles(SharedPcaps.Dir).Where(f => f.EndsWith(".pcap") || f.EndsWith(".pcapng")).Order().ToList();
        Assert.True(files.Count >= 20, $"expected the shared captures, found {files.Count}");
        Assert.Contains(files, f => f.EndsWith("zeek-vlan-collisions.pcap"));
        var ct = TestContext.Current.CancellationToken;
        foreach (var f in files)
        {
            var r = CaptureAnalyzer.Analyze([f], AnalyzeSettings.Default, null, ct);
            Assert.DoesNotContain(r.Findings, x => x.Kind.StartsWith("snat-port-race"));
        }
        var all = CaptureAnalyzer.Analyze(files, AnalyzeSettings.Default, null, ct);
        Assert.True(all.Handshakes.Count > 100);
        Assert.DoesNotContain(all.Findings, x => x.Kind.StartsWith("snat-port-race"));
    }
}
