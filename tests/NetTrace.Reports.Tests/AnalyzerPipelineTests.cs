using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Output;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>Real analyzer output into the report: comments from a pcapng, and the JSON round trip.</summary>
public class AnalyzerPipelineTests
{
    private static readonly HtmlReportOptions Fixed = new() { GeneratedAt = DateTimeOffset.UnixEpoch };

    internal static string WriteHostilePcapng(string dir)
    {
        var path = Path.Combine(dir, "hostile.pcapng");
        File.WriteAllBytes(path, TinyPcapng.Build(TestModels.ScriptPayload + " " + TestModels.DnsLikePayload, TestModels.MarkupPayload));
        return path;
    }

    [Fact]
    public void Pcapng_comments_with_markup_reach_the_report_as_inert_text()
    {
        var dir = Directory.CreateTempSubdirectory("ntreport");
        try
        {
            var result = CaptureAnalyzer.Analyze([WriteHostilePcapng(dir.FullName)], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
            var comments = Assert.Single(result.Sources).Comments;
            Assert.Contains(TestModels.ScriptPayload + " " + TestModels.DnsLikePayload, comments);
            Assert.Contains(TestModels.MarkupPayload, comments);
            // The tiny capture really produced data for the charts: one handshake with a ~1 s retransmit, one echo.
            var h = Assert.Single(result.Handshakes);
            Assert.Equal(1, h.SynRetransmits);
            Assert.Single(result.IcmpEchoes);

            var html = HtmlReport.Render(result, Fixed);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<svg onload", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("id=\"injected", html);
            Assert.Contains("<li>&lt;script&gt;document.body.setAttribute(&#39;data-pwned&#39;,&#39;1&#39;)&lt;/script&gt; api.&lt;svg onload=alert(1)&gt;.example.com</li>", html);
            Assert.Contains("1st retransmit at ≈1 s (initial RTO)", html);
            Assert.Contains("<td class=\"mono\">hostile.pcapng #1</td>", html);   // where the first SYN is, for Wireshark
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void Saved_json_renders_the_same_report_as_the_live_result()
    {
        var captures = new[] { "chrissanders-latency1.pcapng", "chrissanders-icmp_traceroute.pcapng", "zeek-tcp-truncated-header.pcap" }
            .Select(TestSupport.SharedPcaps.File).ToArray();
        var live = CaptureAnalyzer.Analyze(captures, AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
        Assert.NotEmpty(live.Handshakes);
        var json = JsonResultWriter.ToJson(live);
        var back = JsonResultReader.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));

        Assert.Equal(live.Handshakes.Count, back.Handshakes.Count);
        Assert.Equal(live.IcmpEchoes.Count, back.IcmpEchoes.Count);
        Assert.Equal(live.Findings.Select(f => (f.Kind, f.Severity)), back.Findings.Select(f => (f.Kind, f.Severity)));
        Assert.Equal(live.Problems.Select(p => (p.Severity, p.Message, p.PacketNumber)), back.Problems.Select(p => (p.Severity, p.Message, p.PacketNumber)));
        Assert.Equal(live.Summary, back.Summary);
        Assert.Equal(HtmlReport.Render(live, Fixed), HtmlReport.Render(back, Fixed));
    }

    [Fact]
    public void Json_round_trip_keeps_every_field_of_the_model()
    {
        var model = TestModels.Hostile();
        var back = JsonResultReader.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(JsonResultWriter.ToJson(model))));
        Assert.Equal(model.Sources[0].Comments, back.Sources[0].Comments);
        Assert.Equal(model.Sources[0].Complete, back.Sources[0].Complete);
        Assert.Equal(model.Sources[0].FirstTime, back.Sources[0].FirstTime);
        var (a, b) = (model.Handshakes[^1], back.Handshakes[^1]);
        Assert.Equal((a.Client, a.Server, a.SynTime, a.SynAckRttMicros, a.AckRttMicros, a.SynRetransmits, a.Outcome, a.ClientName, a.ServerName, a.Outer),
                     (b.Client, b.Server, b.SynTime, b.SynAckRttMicros, b.AckRttMicros, b.SynRetransmits, b.Outcome, b.ClientName, b.ServerName, b.Outer));
        Assert.Equal(a.SynRetransmitGapsMicros, b.SynRetransmitGapsMicros);
        Assert.Null(back.IcmpEchoes[1].RttMicros);
        var (f, g) = (model.Findings[0], back.Findings[0]);
        Assert.Equal((f.Kind, f.Title, f.Severity, f.Confidence, f.WindowStart, f.WindowEnd, f.Remediation), (g.Kind, g.Title, g.Severity, g.Confidence, g.WindowStart, g.WindowEnd, g.Remediation));
        Assert.Equal(f.Affects, g.Affects);
        Assert.Equal(f.Evidence, g.Evidence);
        Assert.Equal(model.Flows, back.Flows);
        Assert.Equal(model.Problems, back.Problems);
        Assert.Equal(model.ToolVersion, back.ToolVersion);
    }

    [Theory]
    [InlineData("{\"schemaVersion\": 1, \"summary\": {}, \"sources\": [], \"handshakes\": [{\"client\": \"a:1\"", "not valid nettrace analysis JSON at line 1")]
    [InlineData("{\"hello\": \"world\"}", "not a nettrace analysis")]
    [InlineData("{\"schemaVersion\": 99, \"summary\": {}, \"sources\": []}", "schema version 99 is newer")]
    [InlineData("{\"schemaVersion\": 1, \"summary\": {}, \"sources\": [], \"handshakes\": [{\"client\": \"a:1\", \"synTime\": 1}]}", "handshakes[].server is missing")]
    [InlineData("[1,2,3]", "not valid nettrace analysis JSON")]
    public void Bad_json_is_refused_with_the_reason(string json, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => JsonResultReader.Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), "saved.json"));
        Assert.Contains(reason, e.Message);
        Assert.StartsWith("saved.json: ", e.Message);
    }
}
