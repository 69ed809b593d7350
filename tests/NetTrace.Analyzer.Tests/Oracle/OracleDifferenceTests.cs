using NetTrace.Analyzer.Model;
using Xunit;

namespace NetTrace.Analyzer.Tests.Oracle;

/// <summary>Each place where we deliberately answer differently from tshark, pinned with the reason.</summary>
public class OracleDifferenceTests
{
    [Fact]
    public void Every_known_difference_really_differs_from_tshark()
    {
        // Guards against stale exemptions: a listed count must actually disagree with the oracle.
        foreach (var (file, key, reason) in KnownDifferences.All.Where(d => d.Key != "handshakes"))
        {
            var oracle = OracleFile.Load(file);
            var r = OracleAgreementTests.Analyze(file);
            long expected = key == "tcp_streams" ? oracle.TcpStreams : oracle.Count(key);
            Assert.True(OracleAgreementTests.Ours(r.Summary, key) != expected, $"{file} {key} now agrees with tshark; drop the exemption ({reason})");
        }
    }

    /// <summary>
    /// tshark's tcp.stream ignores VLAN ids: the same 5-tuple untagged, in VLAN 42 and in QinQ 10/20 becomes one
    /// stream with two "retransmitted" SYNs. They are three connections; the oracle's caveat gives the truth.
    /// </summary>
    [Fact]
    public void Vlan_collisions_are_three_connections_not_one_stream_with_retransmissions()
    {
        const string file = "zeek-vlan-collisions.pcap";
        var oracle = OracleFile.Load(file);
        Assert.Equal(1, oracle.TcpStreams);
        Assert.Equal(2, oracle.Count("tcp_syn_retransmission"));
        Assert.Contains(oracle.Root.GetProperty("caveats").EnumerateArray(), c => c.GetString()!.Contains("VLAN-aware truth: 3 complete handshakes"));

        var r = OracleAgreementTests.Analyze(file);
        Assert.Equal(3, r.Summary.TcpStreams);
        Assert.Equal(0, r.Summary.SynRetransmits);
        Assert.Equal(3, r.Summary.Syn);
        Assert.Equal([1L, 2L, 6L], r.Handshakes.Select(h => h.SynFrame!.Value));
        Assert.Equal([null, "vlan 42", "vlan 10/20"], r.Handshakes.Select(h => h.Vlan));
        Assert.All(r.Handshakes, h =>
        {
            Assert.Equal(HandshakeOutcome.Established, h.Outcome);
            Assert.Equal("141.142.228.5:59856", h.Client);
            Assert.Equal("192.150.187.43:80", h.Server);
            Assert.InRange(h.SynAckRttMicros!.Value, 69740 - 1, 69740 + 1);
            Assert.InRange(h.AckRttMicros!.Value, 70034 - 1, 70034 + 1);
            Assert.Equal(0, h.SynRetransmits);
        });
        Assert.DoesNotContain(r.Findings, f => f.Kind.StartsWith("syn-retransmit", StringComparison.Ordinal));
    }

    /// <summary>tshark marks frames malformed when its HTTP/PNG or ICMP-extension dissectors fail; our malformed
    /// count covers IP/transport headers only, and those frames' headers are sound.</summary>
    [Theory]
    [InlineData("pcapplusplus-example.pcap")]
    [InlineData("chrissanders-icmp_traceroute.pcapng")]
    public void Application_level_malformations_are_not_counted(string file)
    {
        var oracle = OracleFile.Load(file);
        Assert.Equal(3, oracle.Count("malformed"));
        var r = OracleAgreementTests.Analyze(file);
        Assert.Equal(0, r.Summary.Malformed);
        Assert.DoesNotContain(r.Problems, p => p.Severity != ProblemSeverity.Info);
        Assert.Equal(0, CaptureAnalyzer.ExitCode(r));
    }

    /// <summary>The truncated 802.11 capture: tshark reads one frame and prints an error. We read the same frame,
    /// say the link type is not supported, and say where the file ends (frame 2, offset 359): exit code 1.</summary>
    [Fact]
    public void Truncated_radiotap_capture_reads_one_frame_and_names_where_it_stops()
    {
        const string file = "scapy-bad_rsn_parsing_overrides_ssid.pcap";
        var r = OracleAgreementTests.Analyze(file);
        Assert.Equal(OracleFile.Load(file).Count("frames_total"), r.Summary.Frames);
        var src = Assert.Single(r.Sources);
        Assert.False(src.Complete);
        Assert.Equal(["IEEE802_11_RADIOTAP"], src.LinkTypes);
        Assert.Contains(r.Problems, p => p.PacketNumber == 2 && p.FileOffset == 359 && p.Severity == ProblemSeverity.Warning);
        Assert.Contains(r.Problems, p => p.Message.Contains("not supported"));
        Assert.Equal(1, CaptureAnalyzer.ExitCode(r));
    }

    /// <summary>zeek-ssh stream 18: SYN/SYN-ACK exchanged three times. Our RTT is from the first SYN (214.737 ms,
    /// the brief's definition); tshark's own tcp.analysis.initial_rtt uses the last SYN (1.037 ms).</summary>
    [Fact]
    public void Handshake_rtt_is_measured_from_the_first_syn_not_tsharks_last_syn()
    {
        var oracle = OracleFile.Load("zeek-ssh.pcap");
        var hs18 = oracle.Handshakes.Single(h => h.GetProperty("stream").GetInt32() == 18);
        var r = OracleAgreementTests.Analyze("zeek-ssh.pcap");
        var ours = r.Handshakes.Single(h => h.SynFrame == hs18.GetProperty("syn_frame").GetInt64());
        Assert.InRange(ours.AckRttMicros!.Value, 214_736, 214_738);
        Assert.Equal(hs18.GetProperty("tshark_initial_rtt_us").GetDouble(), hs18.GetProperty("rtt_ack_minus_last_syn_us").GetDouble());
        Assert.True(hs18.GetProperty("tshark_initial_rtt_us").GetDouble() < 2_000);
        Assert.Equal(2, ours.SynRetransmits);
    }

    /// <summary>zeek-communityid-icmp.pcap captured each request twice. We match tshark: the reply pairs with the
    /// 2nd copy and the 1st copy is unanswered (the alternative, de-duplicating, would add 25-30 µs to each RTT).</summary>
    [Fact]
    public void Duplicated_echo_requests_pair_like_tshark()
    {
        var r = OracleAgreementTests.Analyze("zeek-communityid-icmp.pcap");
        Assert.Equal([1L, 4L, 7L, 10L], r.IcmpEchoes.Where(e => e.RttMicros is null).Select(e => e.RequestFrame!.Value));
        Assert.Equal([2L, 5L, 8L, 11L], r.IcmpEchoes.Where(e => e.RttMicros is not null).Select(e => e.RequestFrame!.Value));
    }
}
