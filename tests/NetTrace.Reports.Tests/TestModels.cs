using NetTrace.Analyzer.Model;

namespace NetTrace.Reports.Tests;

/// <summary>Small hand-built analysis results for the report tests.</summary>
internal static class TestModels
{
    public const string ScriptPayload = "<script>document.body.setAttribute('data-pwned','1')</script>";
    public const string MarkupPayload = "<img src=x onerror=\"document.title='pwned'\"><b id=\"injected\">bold</b>";
    /// <summary>A DNS-name-like string as a resolver or apiserver could hand it back.</summary>
    public const string DnsLikePayload = "api.<svg onload=alert(1)>.example.com";
    public const string PodPayload = "evil-pod\"><iframe id=\"injected-frame\" src=\"https://example.com/\"></iframe>";

    public static AnalysisResult Empty(IReadOnlyList<Finding>? findings = null) => new()
    {
        Sources = [new SourceInfo("/tmp/empty.pcap", "pcap-usec-le", ["ethernet"], 0, null, null, true, [])],
        Summary = new CaptureSummary(),
        Handshakes = [],
        IcmpEchoes = [],
        Flows = [],
        Findings = findings ?? [],
        Problems = [],
    };

    /// <summary>Every string field a capture or metadata can fill carries markup.</summary>
    public static AnalysisResult Hostile()
    {
        double t0 = 1_780_000_000;
        var hs = new List<Handshake>();
        for (int i = 0; i < 50; i++)
            hs.Add(new Handshake
            {
                Client = $"10.0.0.{i % 5 + 1}:{40000 + i}", Server = "10.0.1.1:443", SynTime = t0 + i * 0.1,
                SynAckRttMicros = 200 + i * 10, AckRttMicros = 250 + i * 10, Outcome = HandshakeOutcome.Established,
                ClientName = PodPayload, ServerName = DnsLikePayload,
            });
        hs.Add(new Handshake
        {
            Client = "10.0.0.9:5555", Server = "10.0.1.1:443", SynTime = t0 + 2, SynAckRttMicros = 1_003_000, AckRttMicros = 1_003_100,
            SynRetransmits = 1, SynRetransmitGapsMicros = [1_002_900], Outcome = HandshakeOutcome.Established,
            ClientName = ScriptPayload, ServerName = MarkupPayload, Outer = MarkupPayload,
        });
        return new AnalysisResult
        {
            Sources = [new SourceInfo("/captures/" + MarkupPayload + ".pcapng", "pcapng", [ScriptPayload], 101,
                DateTimeOffset.FromUnixTimeSeconds((long)t0), DateTimeOffset.FromUnixTimeSeconds((long)t0 + 6), false,
                [ScriptPayload, MarkupPayload, DnsLikePayload])],
            Summary = new CaptureSummary { Frames = 101, Tcp = 101, Syn = 52, SynAck = 51, SynRetransmits = 1, Malformed = 2 },
            Handshakes = hs,
            IcmpEchoes =
            [
                new IcmpEcho { Src = DnsLikePayload, Dst = "10.0.1.1", Id = 1, Seq = 1, RequestTime = t0 + 1, RttMicros = 90 },
                new IcmpEcho { Src = DnsLikePayload, Dst = "10.0.1.1", Id = 1, Seq = 2, RequestTime = t0 + 2, RttMicros = null },
            ],
            Flows = [new FlowStats("tcp", PodPayload, DnsLikePayload, 3, 2, 180, 120, t0, t0 + 1, MarkupPayload)],
            Findings =
            [
                new Finding
                {
                    Kind = "syn-retransmit-initial-rto" + ScriptPayload, Title = "SYN lost " + ScriptPayload, Severity = Severity.High,
                    Confidence = 0.8, WindowStart = t0, WindowEnd = t0 + 3, Affects = [PodPayload, DnsLikePayload],
                    Evidence = [new Evidence(MarkupPayload, ScriptPayload)], Remediation = "Use --random-fully " + MarkupPayload,
                },
            ],
            Problems = [new InputProblem("/captures/x.pcapng", ProblemSeverity.Warning, "truncated record " + ScriptPayload, 101, 4096)],
        };
    }
}
