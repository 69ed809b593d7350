using NetTrace.CaptureGen;
using NetTrace.CaptureGen.Writers;
using Xunit;

namespace NetTrace.Bench.Tests;

/// <summary>The generator's output, read back through libpcap, is what its truth says it is.</summary>
public class GeneratorTruthTests
{
    // Faults frequent enough that a few hundred connects carry every kind several times.
    private static TrafficProfile Small(ulong seed = 11) => TrafficProfile.Demo(seed) with { TargetConnections = 400 };

    [Fact]
    public void Frame_and_protocol_counts_match_the_truth()
    {
        using var g = new GeneratedCapture(Small());
        var r = ReadBack.Read(g.Path);
        var t = g.Truth;
        Assert.Equal(t.Frames, r.Frames);
        Assert.Equal(t.Ipv4, r.Ipv4);
        Assert.Equal(t.Ipv6, r.Ipv6);
        Assert.Equal(t.Tcp, r.Tcp);
        Assert.Equal(t.Udp, r.Udp);
        Assert.Equal(t.Icmp, r.Icmp);
        Assert.Equal(t.Icmpv6, r.Icmpv6);
        Assert.Equal(t.VlanTagged, r.Vlan);
        Assert.Equal(t.DnsQueries + t.DnsResponses, r.Dns);
        Assert.Equal(t.Syn, r.Syn);
        Assert.Equal(t.SynAck, r.SynAck);
        Assert.Equal(t.Rst, r.Rst);
        Assert.True(r.Ipv6 > 0 && r.Vlan > 0 && r.Icmpv6 > 0 && r.Dns > 0, "the mix includes IPv6, VLAN, ICMPv6 and DNS");
        Assert.Equal(0, r.NonMonotonicTimestamps);
        Assert.Equal(t.FirstTime, r.FirstTime, 2e-6); // doubles near 1.7e9 s hold ~0.2 µs; files keep µs
        Assert.Equal(t.LastTime, r.LastTime, 2e-6);
    }

    [Fact]
    public void Handshakes_outcomes_and_syn_retransmits_match_the_truth()
    {
        using var g = new GeneratedCapture(Small());
        var r = ReadBack.Read(g.Path);
        var t = g.Truth;
        var conns = r.Connections.Values.ToList();
        Assert.Equal(400, t.TcpConnections);
        Assert.Equal(t.TcpConnections, conns.Count);
        Assert.Equal(t.HandshakesEstablished, conns.Count(c => c.Established));
        Assert.Equal(t.ConnectsRefused, conns.Count(c => c.Refused));
        Assert.Equal(t.ConnectsUnanswered, conns.Count(c => c.SynAckTime == null && !c.Refused));
        Assert.Equal(t.SynRetransmits, conns.Sum(c => c.SynTimes.Count - 1));
        Assert.Equal(t.ConnectsAnsweredAfter1s, conns.Count(c => c.SynTimes.Count == 2 && (c.Established || c.Refused)));
        Assert.Equal(t.ConnectsAnsweredAfter3s, conns.Count(c => c.SynTimes.Count == 3 && (c.Established || c.Refused)));
        Assert.True(t.ConnectsRefused > 0 && t.ConnectsUnanswered > 0 && t.ConnectsAnsweredAfter1s > 0 && t.ConnectsAnsweredAfter3s > 0,
            "every outcome occurs in a capture this size");
    }

    [Fact]
    public void Syn_retransmissions_follow_the_initial_rto_back_off()
    {
        using var g = new GeneratedCapture(Small());
        var r = ReadBack.Read(g.Path);
        int checkedGaps = 0;
        foreach (var c in r.Connections.Values.Where(c => c.SynTimes.Count > 1))
        {
            double expected = 1.0;
            for (int i = 1; i < c.SynTimes.Count; i++, expected *= 2)
            {
                double gap = c.SynTimes[i] - c.SynTimes[i - 1];
                Assert.InRange(gap, expected, expected + 0.005); // 1 s, 2 s, 4 s plus timer slack
                checkedGaps++;
            }
            // the retransmits land at ~1 s and ~3 s after the first SYN, the signature a reader looks for
            Assert.InRange(c.SynTimes[1] - c.SynTimes[0], 1.0, 1.005);
            if (c.SynTimes.Count > 2) Assert.InRange(c.SynTimes[2] - c.SynTimes[0], 3.0, 3.01);
        }
        Assert.Equal(g.Truth.SynRetransmits, checkedGaps);
    }

    [Fact]
    public void Every_checksum_is_valid()
    {
        using var g = new GeneratedCapture(Small());
        var r = ReadBack.Read(g.Path);
        Assert.Equal(0, r.BadChecksums);
    }

    [Fact]
    public void Echo_pairs_match_and_stalls_make_late_replies_come_in_clusters()
    {
        using var g = new GeneratedCapture(Small());
        var r = ReadBack.Read(g.Path);
        var t = g.Truth;
        Assert.Equal(t.IcmpEchoRequests, r.EchoRequests.Count);
        Assert.Equal(t.IcmpEchoReplies, r.EchoPairs.Count);
        Assert.Equal(t.IcmpEchoRequests - t.IcmpEchoUnanswered, r.EchoPairs.Count);

        // A stall releases its backlog at once: consecutive echoes of one pinger are late together, the older ones
        // later (RTT falling by about the ping interval per sequence number).
        var late = r.EchoPairs.Where(p => p.RttMicros > 50_000).OrderBy(p => p.Src).ThenBy(p => p.RequestTime).ToList();
        Assert.True(t.IcmpEchoesHitByStall > 0);
        int clustered = 0;
        for (int i = 1; i < late.Count; i++)
            if (late[i].Src == late[i - 1].Src && late[i].Seq == late[i - 1].Seq + 1 && late[i].RttMicros < late[i - 1].RttMicros) clustered++;
        Assert.True(clustered >= 2, $"expected stall clusters of late replies, saw {clustered} adjacent late pairs among {late.Count} late replies");
    }

    [Theory]
    [InlineData(CaptureFormat.Pcap, false)]
    [InlineData(CaptureFormat.Pcap, true)]
    [InlineData(CaptureFormat.PcapNg, true)]
    public void Other_formats_carry_the_same_packets(CaptureFormat format, bool nanos)
    {
        using var g = new GeneratedCapture(Small() with { TargetConnections = 60 }, format, nanos);
        var r = ReadBack.Read(g.Path);
        Assert.Equal(g.Truth.Frames, r.Frames);
        Assert.Equal(g.Truth.Syn, r.Syn);
        Assert.Equal(g.Truth.FirstTime, r.FirstTime, 2e-6);
        Assert.Equal(0, r.BadChecksums);
    }

    [Fact]
    public void A_seed_gives_the_same_bytes_and_another_seed_does_not()
    {
        using var a = new GeneratedCapture(Small(5) with { TargetConnections = 80 });
        using var b = new GeneratedCapture(Small(5) with { TargetConnections = 80 });
        using var c = new GeneratedCapture(Small(6) with { TargetConnections = 80 });
        Assert.Equal(File.ReadAllBytes(a.Path), File.ReadAllBytes(b.Path));
        Assert.NotEqual(File.ReadAllBytes(a.Path), File.ReadAllBytes(c.Path));
    }

    [Fact]
    public void A_packet_target_is_met_with_whole_connections_and_a_bounded_live_set()
    {
        using var g = new GeneratedCapture(TrafficProfile.Bench(150_000, seed: 3));
        var t = g.Truth;
        Assert.InRange(t.Frames, 150_000, 160_000);
        var r = ReadBack.Read(g.Path);
        Assert.Equal(t.Frames, r.Frames);
        Assert.Equal(t.HandshakesEstablished, r.Connections.Values.Count(c => c.Established));
        // every established connection was closed inside the file: whole conversations, nothing cut at the end
        Assert.Equal(t.HandshakesEstablished * 2, t.Fin);
        Assert.True(t.MaxLiveTcpConnections < t.TcpConnections / 5,
            $"live connections ({t.MaxLiveTcpConnections}) should be a small part of all ({t.TcpConnections})");
    }

    [Fact]
    public void Long_connections_are_scheduled_round_by_round_and_still_close_whole()
    {
        using var g = new GeneratedCapture(TrafficProfile.LongFlows(100_000, seed: 4));
        var t = g.Truth;
        // the target is met to within about one connection's worth (each carries up to 20,000 requests)
        Assert.InRange(t.Frames, 80_000, 200_000);
        Assert.InRange(t.TcpConnections, 1, 20);                 // thousands of packets per connection
        var r = ReadBack.Read(g.Path);
        Assert.Equal(t.Frames, r.Frames);
        Assert.Equal(0, r.BadChecksums);
        Assert.Equal(t.HandshakesEstablished, r.Connections.Values.Count(c => c.Established));
        Assert.Equal(t.HandshakesEstablished * 2, t.Fin);
        Assert.Equal(t.TcpConnections, t.MaxLiveTcpConnections); // all overlap: each lives for minutes
    }
}

/// <summary>samples/demo.pcapng (what `nettrace demo` analyzes) is the generator's demo profile, nothing else.</summary>
public class ShippedSampleTests
{
    [Fact]
    public void The_shipped_sample_is_what_the_demo_profile_generates()
    {
        var sample = Path.Combine(NetTrace.TestSupport.RepoRoot.Path, "samples", "demo.pcapng");
        using var g = new GeneratedCapture(TrafficProfile.Demo());
        var shipped = ReadBack.Read(sample);
        var fresh = ReadBack.Read(g.Path);
        // Counts, not bytes: a last-digit difference in another libm must not fail this, a different capture must.
        Assert.Equal(fresh.Frames, shipped.Frames);
        Assert.Equal(fresh.Syn, shipped.Syn);
        Assert.Equal(fresh.SynAck, shipped.SynAck);
        Assert.Equal(fresh.Rst, shipped.Rst);
        Assert.Equal(fresh.EchoPairs.Count, shipped.EchoPairs.Count);
        Assert.Equal(g.Truth.Frames, shipped.Frames);
        Assert.Equal(g.Truth.HandshakesEstablished, shipped.Connections.Values.Count(c => c.Established));
        Assert.Equal(g.Truth.SynRetransmits, shipped.Connections.Values.Sum(c => c.SynTimes.Count - 1));
        Assert.True(g.Truth.ConnectsAnsweredAfter1s > 0 && g.Truth.ConnectsAnsweredAfter3s > 0 && g.Truth.ConnectsRefused > 0
                    && g.Truth.ConnectsUnanswered > 0 && g.Truth.IcmpEchoesHitByStall > 0, "the demo shows every fault");
        Assert.InRange(shipped.Connections.Count, 290, 310);
    }
}
