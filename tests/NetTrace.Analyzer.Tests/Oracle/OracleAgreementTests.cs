using NetTrace.Analyzer.Model;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Analyzer.Tests.Oracle;

/// <summary>
/// Issue 2 item 6: our analyzer against tshark on every shared capture. Where we differ on purpose,
/// <see cref="KnownDifferences"/> names the value and the reason, and OracleDifferenceTests pins our answer.
/// </summary>
public class OracleAgreementTests
{
    public static TheoryData<string> Captures => new(OracleFile.Captures());

    private static readonly string[] CountKeys =
    [
        "frames_total", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6",
        "tcp_syn_only", "tcp_syn_ack", "tcp_rst", "tcp_syn_retransmission", "malformed",
    ];

    internal static long Ours(CaptureSummary s, string key) => key switch
    {
        "frames_total" => s.Frames,
        "ipv4" => s.Ipv4,
        "ipv6" => s.Ipv6,
        "tcp" => s.Tcp,
        "udp" => s.Udp,
        "icmp" => s.Icmp,
        "icmpv6" => s.Icmpv6,
        "tcp_syn_only" => s.Syn,
        "tcp_syn_ack" => s.SynAck,
        "tcp_rst" => s.Rst,
        "tcp_syn_retransmission" => s.SynRetransmits,
        "malformed" => s.Malformed,
        "tcp_streams" => s.TcpStreams,
        _ => throw new ArgumentException(key),
    };

    internal static AnalysisResult Analyze(string capture, string reader = "auto") =>
        CaptureAnalyzer.Analyze([SharedPcaps.File(capture)], new AnalyzeSettings { Reader = reader }, null, TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(Captures))]
    public void Counts_and_stream_count_match_tshark(string capture)
    {
        var oracle = OracleFile.Load(capture);
        var r = Analyze(capture);
        var mismatches = new List<string>();
        foreach (var key in CountKeys.Append("tcp_streams"))
        {
            if (KnownDifferences.Covers(capture, key)) continue;
            long expected = key == "tcp_streams" ? oracle.TcpStreams : oracle.Count(key);
            long ours = Ours(r.Summary, key);
            if (ours != expected) mismatches.Add($"{key}: tshark {expected}, ours {ours}");
        }
        Assert.True(mismatches.Count == 0, capture + ": " + string.Join("; ", mismatches));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Complete_handshakes_and_their_rtts_match_tshark_within_1us(string capture)
    {
        if (KnownDifferences.Covers(capture, "handshakes")) return; // pinned in OracleDifferenceTests
        var oracle = OracleFile.Load(capture);
        var r = Analyze(capture);
        var ours = r.Handshakes.Where(h => h.Outcome == HandshakeOutcome.Established).ToDictionary(h => h.SynFrame!.Value);
        var expected = oracle.Handshakes.ToList();
        Assert.Equal(expected.Count, ours.Count);
        foreach (var e in expected)
        {
            long synFrame = e.GetProperty("syn_frame").GetInt64();
            Assert.True(ours.TryGetValue(synFrame, out var h), $"{capture}: no established handshake starting at frame {synFrame}");
            Assert.Equal(Endpoint(e.GetProperty("client").GetString()!), Endpoint(h.Client));
            Assert.Equal(Endpoint(e.GetProperty("server").GetString()!), Endpoint(h.Server));
            Assert.InRange(h.SynAckRttMicros!.Value - e.GetProperty("rtt_synack_minus_syn_us").GetDouble(), -1, 1);
            Assert.InRange(h.AckRttMicros!.Value - e.GetProperty("rtt_ack_minus_syn_us").GetDouble(), -1, 1);
            Assert.Equal(e.GetProperty("syns_before_ack").GetInt32() - 1, h.SynRetransmits);
        }
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Icmp_echo_pairs_rtts_and_unanswered_requests_match_tshark(string capture)
    {
        var oracle = OracleFile.Load(capture);
        var r = Analyze(capture);
        foreach (bool v6 in new[] { false, true })
        {
            var ours = r.IcmpEchoes.Where(e => e.V6 == v6).ToList();
            var answered = ours.Where(e => e.RttMicros is not null).ToDictionary(e => e.RequestFrame!.Value);
            var pairs = oracle.EchoPairs(v6).ToList();
            Assert.Equal(pairs.Count, answered.Count);
            foreach (var p in pairs)
            {
                long req = p.GetProperty("request_frame").GetInt64();
                Assert.True(answered.TryGetValue(req, out var echo), $"{capture}: request frame {req} not paired");
                Assert.Equal(p.GetProperty("ident").GetInt32(), echo.Id);
                Assert.Equal(p.GetProperty("seq").GetInt32(), echo.Seq);
                Assert.Equal(p.GetProperty("requester").GetString(), echo.Src);
                Assert.InRange(echo.RttMicros!.Value - p.GetProperty("delta_from_timestamps_us").GetDouble(), -1, 1);
            }
            Assert.Equal(oracle.Unanswered(v6).Order(), ours.Where(e => e.RttMicros is null).Select(e => e.RequestFrame!.Value).Order());
        }
    }

    /// <summary>tshark writes IPv6 endpoints as "addr:port"; we write "[addr]:port".</summary>
    internal static string Endpoint(string s) => s.StartsWith('[') ? s.Replace("[", "").Replace("]", "") : s;
}
