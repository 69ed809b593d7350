using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.CaptureGen;
using NetTrace.CaptureGen.Writers;
using Xunit;

namespace NetTrace.Bench.Tests;

/// <summary>
/// Our analyzer on generated captures: its counts equal the generator's truth and its handshake timings equal an
/// independent libpcap reading of the same file. This is what makes the benchmark's "facts = truth" column mean something.
/// </summary>
public class AnalyzerAgreesWithGeneratorTests
{
    private static TrafficProfile Small(ulong seed) => TrafficProfile.Demo(seed) with { TargetConnections = 400 };

    [Theory]
    [InlineData(CaptureFormat.PcapNg, false, 21UL)]
    [InlineData(CaptureFormat.Pcap, true, 22UL)]
    public void Summary_and_outcomes_equal_the_truth(CaptureFormat format, bool nanos, ulong seed)
    {
        using var g = new GeneratedCapture(Small(seed), format, nanos);
        var r = CaptureAnalyzer.Analyze([g.Path], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
        var s = r.Summary;
        var t = g.Truth;
        Assert.Empty(r.Problems);
        Assert.Equal(t.Frames, s.Frames);
        Assert.Equal(t.Ipv4, s.Ipv4);
        Assert.Equal(t.Ipv6, s.Ipv6);
        Assert.Equal(t.Tcp, s.Tcp);
        Assert.Equal(t.Udp, s.Udp);
        Assert.Equal(t.Icmp, s.Icmp);
        Assert.Equal(t.Icmpv6, s.Icmpv6);
        Assert.Equal(t.TcpConnections, s.TcpStreams);
        Assert.Equal(t.Syn, s.Syn);
        Assert.Equal(t.SynAck, s.SynAck);
        Assert.Equal(t.Rst, s.Rst);
        Assert.Equal(t.SynRetransmits, s.SynRetransmits);
        Assert.Equal(0, s.Malformed);

        Assert.Equal(t.TcpConnections, r.Handshakes.Count);
        Assert.Equal(t.HandshakesEstablished, r.Handshakes.Count(h => h.Outcome == HandshakeOutcome.Established));
        Assert.Equal(t.ConnectsRefused, r.Handshakes.Count(h => h.Outcome == HandshakeOutcome.Refused));
        Assert.Equal(t.ConnectsUnanswered, r.Handshakes.Count(h => h.Outcome == HandshakeOutcome.Unanswered));
        bool answered(Handshake h) => h.Outcome is HandshakeOutcome.Established or HandshakeOutcome.Refused;
        Assert.Equal(t.ConnectsAnsweredAfter1s, r.Handshakes.Count(h => h.SynRetransmits == 1 && answered(h)));
        Assert.Equal(t.ConnectsAnsweredAfter3s, r.Handshakes.Count(h => h.SynRetransmits == 2 && answered(h)));
        Assert.Equal(t.IcmpEchoRequests, r.IcmpEchoes.Count);
        Assert.Equal(t.IcmpEchoReplies, r.IcmpEchoes.Count(e => e.RttMicros != null));
    }

    [Fact]
    public void Handshake_and_echo_timings_equal_an_independent_reading()
    {
        using var g = new GeneratedCapture(Small(23));
        var r = CaptureAnalyzer.Analyze([g.Path], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
        var back = ReadBack.Read(g.Path);
        int compared = 0;
        foreach (var h in r.Handshakes.Where(h => h.Outcome == HandshakeOutcome.Established))
        {
            var c = back.Connections[$"{Unbracket(h.Client)}>{Unbracket(h.Server)}"];
            Assert.Equal((c.SynAckTime!.Value - c.SynTimes[0]) * 1e6, h.SynAckRttMicros!.Value, 1.0);
            Assert.Equal((c.AckTime!.Value - c.SynTimes[0]) * 1e6, h.AckRttMicros!.Value, 1.0);
            Assert.Equal(c.SynTimes.Count - 1, h.SynRetransmits);
            compared++;
        }
        Assert.Equal(g.Truth.HandshakesEstablished, compared);

        var rtts = back.EchoPairs.ToDictionary(p => (p.Id, p.Seq), p => p.RttMicros);
        foreach (var e in r.IcmpEchoes.Where(e => e.RttMicros != null))
            Assert.Equal(rtts[(e.Id, e.Seq)], e.RttMicros!.Value, 1.0);
    }

    /// <summary>"[fd00::1]:443" -> "fd00::1:443", the form ReadBack keys connections by.</summary>
    private static string Unbracket(string endpoint) => endpoint.Replace("[", "").Replace("]", "");
}
