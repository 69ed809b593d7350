using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Flows;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Tests.Builders;
using Xunit;
using static NetTrace.Analyzer.Tests.Builders.Packets;
using static NetTrace.Analyzer.Tests.Builders.Traffic;

namespace NetTrace.Analyzer.Tests.Flows;

public class HandshakeTests
{
    private const long Ms = 1_000_000;
    private static byte[] C2S(byte[] tcp) => Ipv4("10.0.0.1", "10.0.0.2", 6, tcp);
    private static byte[] S2C(byte[] tcp) => Ipv4("10.0.0.2", "10.0.0.1", 6, tcp);
    private static AnalysisResult Run(params (long Ns, byte[] Ip)[] pkts) =>
        AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, pkts.Select(p => new Frame(p.Ns, p.Ip)), nanos: true));

    [Fact]
    public void Syn_retransmitted_at_1s_and_3s_then_established_measures_from_the_first_syn()
    {
        var r = Run(
            (T0, C2S(Tcp(40000, 80, 1000, 0, 0x02))),
            (T0 + 1000 * Ms, C2S(Tcp(40000, 80, 1000, 0, 0x02))),
            (T0 + 3000 * Ms, C2S(Tcp(40000, 80, 1000, 0, 0x02))),
            (T0 + 3020 * Ms, S2C(Tcp(80, 40000, 9, 1001, 0x12))),
            (T0 + 3021 * Ms, C2S(Tcp(40000, 80, 1001, 10, 0x10))));
        var h = Assert.Single(r.Handshakes);
        Assert.Equal(HandshakeOutcome.Established, h.Outcome);
        Assert.Equal(2, h.SynRetransmits);
        Assert.Equal([1_000_000.0, 2_000_000.0], h.SynRetransmitGapsMicros);
        Assert.Equal(3_020_000.0, h.SynAckRttMicros!.Value, 3);
        Assert.Equal(3_021_000.0, h.AckRttMicros!.Value, 3);
        Assert.Equal(2, r.Summary.SynRetransmits);
        var f = Assert.Single(r.Findings, f => f.Kind == "syn-retransmit-initial-rto");
        Assert.Equal(Severity.High, f.Severity); // the connect succeeded but paid a whole RTO
        Assert.Equal(0.9, f.Confidence, 2);
        Assert.Contains(f.Evidence, e => e.Label.Contains("~1 s") && e.Value == "1");
        Assert.DoesNotContain(r.Findings, f => f.Kind == "slow-handshake"); // explained by the retransmit
    }

    [Fact]
    public void Syn_answered_by_rst_is_refused()
    {
        var r = Run(
            (T0, C2S(Tcp(40000, 80, 1000, 0, 0x02))),
            (T0 + Ms, S2C(Tcp(80, 40000, 0, 1001, 0x14))));
        Assert.Equal(HandshakeOutcome.Refused, Assert.Single(r.Handshakes).Outcome);
        Assert.Contains(r.Findings, f => f.Kind == "connection-refused");
        Assert.Equal(1, r.Summary.Rst);
    }

    [Fact]
    public void Rst_after_the_syn_ack_is_a_reset_handshake_and_a_lone_syn_is_unanswered()
    {
        var r = Run(
            (T0, C2S(Tcp(40000, 80, 1000, 0, 0x02))),
            (T0 + Ms, S2C(Tcp(80, 40000, 7, 1001, 0x12))),
            (T0 + 2 * Ms, C2S(Tcp(40000, 80, 1001, 0, 0x04))),
            (T0 + 3 * Ms, C2S(Tcp(40001, 80, 5, 0, 0x02))));
        Assert.Equal([HandshakeOutcome.Reset, HandshakeOutcome.Unanswered], r.Handshakes.Select(h => h.Outcome));
        Assert.Contains(r.Findings, f => f.Kind == "syn-unanswered");
    }

    [Fact]
    public void Ack_must_acknowledge_the_server_isn_and_syn_ack_must_acknowledge_the_client_isn()
    {
        var r = Run(
            (T0, C2S(Tcp(40000, 80, 1000, 0, 0x02))),
            (T0 + 1 * Ms, S2C(Tcp(80, 40000, 7, 999, 0x12))),    // wrong ack: not the SYN-ACK
            (T0 + 2 * Ms, S2C(Tcp(80, 40000, 7, 1001, 0x12))),
            (T0 + 3 * Ms, C2S(Tcp(40000, 80, 1001, 5, 0x10))),   // acks the wrong server ISN
            (T0 + 4 * Ms, C2S(Tcp(40000, 80, 1001, 8, 0x18, payload: 10)))); // data segment completing it
        var h = Assert.Single(r.Handshakes);
        Assert.Equal(2000.0, h.SynAckRttMicros!.Value, 3);
        Assert.Equal(4000.0, h.AckRttMicros!.Value, 3);
    }

    [Fact]
    public void Port_reuse_with_a_new_isn_starts_a_new_stream_but_a_repeated_isn_is_a_retransmit()
    {
        var first = Handshake();
        var second = Handshake(start: T0 + 10_000 * Ms).Select((p, i) => i == 0
            ? (p.Ns, C2S(Tcp(40000, 80, 777_777, 0, 0x02)))
            : i == 1 ? (p.Ns, S2C(Tcp(80, 40000, 888, 777_778, 0x12)))
            : i == 2 ? (p.Ns, C2S(Tcp(40000, 80, 777_778, 889, 0x10)))
            : p).Take(3);
        var r = Run([.. first, .. second]);
        Assert.Equal(2, r.Summary.TcpStreams);
        Assert.Equal(0, r.Summary.SynRetransmits);
        Assert.All(r.Handshakes, h => Assert.Equal(HandshakeOutcome.Established, h.Outcome));
    }

    [Fact]
    public void Slow_syn_ack_without_retransmit_is_a_slow_handshake_finding()
    {
        var r = Run(
            (T0, C2S(Tcp(40000, 80, 1000, 0, 0x02))),
            (T0 + 878 * Ms, S2C(Tcp(80, 40000, 7, 1001, 0x12))),
            (T0 + 879 * Ms, C2S(Tcp(40000, 80, 1001, 8, 0x10))));
        var f = Assert.Single(r.Findings, f => f.Kind == "slow-handshake");
        Assert.Equal(Severity.Medium, f.Severity);
        Assert.Contains("878 ms", f.Title);
        Assert.Equal(["10.0.0.2:80"], f.Affects);
    }

    [Fact]
    public void Flow_counts_packets_and_bytes_per_direction()
    {
        var r = Run([.. Handshake()]);
        var flow = Assert.Single(r.Flows);
        Assert.Equal("tcp", flow.Protocol);
        Assert.Equal("10.0.0.1:40000", flow.A);
        Assert.Equal(4, flow.PacketsAtoB);
        Assert.Equal(2, flow.PacketsBtoA);
        Assert.Equal(Handshake().Where((_, i) => i is 0 or 2 or 3 or 4).Sum(p => p.Ip.Length), flow.BytesAtoB);
    }

    [Fact]
    public void Several_files_are_analysed_into_one_result()
    {
        var a = Path.Combine(Path.GetTempPath(), $"nt-a-{Guid.NewGuid():N}.pcap");
        var b = Path.Combine(Path.GetTempPath(), $"nt-b-{Guid.NewGuid():N}.pcapng");
        File.WriteAllBytes(a, PcapFile.Build(LinkTypes.Raw, Handshake().Select(p => new Frame(p.Ns, p.Ip))));
        var ng = new PcapngFile().Section().Interface(LinkTypes.Raw, tsresol: 9);
        foreach (var (ns, ip) in Ping()) ng.Enhanced(0, (ulong)ns, ip);
        File.WriteAllBytes(b, ng.ToArray());
        try
        {
            var r = CaptureAnalyzer.Analyze([a, b], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
            Assert.Equal(2, r.Sources.Count);
            Assert.Equal(8, r.Summary.Frames);
            Assert.Equal(a, Assert.Single(r.Handshakes).SourceFile);
            Assert.Equal(b, Assert.Single(r.IcmpEchoes).SourceFile);
        }
        finally
        {
            File.Delete(a);
            File.Delete(b);
        }
    }

    /// <summary>Memory follows live flows: 5,000 short connections over 500 s never keep more than ~150 in the table.</summary>
    [Fact]
    public void Closed_and_idle_flows_are_evicted_into_results()
    {
        var acc = new Accumulator();
        var pa = new PacketAnalyzer("mem", acc, AnalyzeSettings.Default);
        int peak = 0;
        long number = 0;
        for (int c = 0; c < 5000; c++)
        {
            string client = $"10.1.{c / 250}.{c % 250 + 1}";
            foreach (var (ns, ip) in Handshake(client, "10.0.0.2", (ushort)(30000 + c % 20000), 80, T0 + c * 100 * Ms))
            {
                number++;
                pa.Process(new RawFrame(ip, ns, LinkTypes.Raw, ip.Length, number, 0, 0));
            }
            peak = Math.Max(peak, pa.LiveFlows);
        }
        pa.Complete();
        Assert.Equal(5000, acc.Handshakes.Count);
        Assert.All(acc.Handshakes, h => Assert.Equal(HandshakeOutcome.Established, h.Outcome));
        Assert.Equal(5000, acc.Flows.Count);
        // Closed flows go after 10 s of quiet, swept every 5 s: at 10 connections/s that is at most ~150 live.
        Assert.InRange(peak, 100, 160);
    }
}
