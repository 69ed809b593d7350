using System.Text.RegularExpressions;
using NetTrace.Analyzer.Model;
using NetTrace.Reports.Synthetic;
using Xunit;

namespace NetTrace.Reports.Tests;

public class HtmlReportTests
{
    private static readonly HtmlReportOptions Fixed = new() { GeneratedAt = DateTimeOffset.UnixEpoch };

    [Fact]
    public void Sections_come_in_the_order_a_reader_needs_them()
    {
        var html = HtmlReport.Render(SyntheticAnalysis.Create(5_000), Fixed);
        string[] ids = ["sources", "findings", "latency", "percentiles", "syn-retransmits", "worst"];
        var positions = ids.Select(id => html.IndexOf($"<section id=\"{id}\">", StringComparison.Ordinal)).ToArray();
        Assert.All(positions, p => Assert.True(p > 0));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    public void No_findings_is_said_plainly()
    {
        var html = HtmlReport.Render(TestModels.Empty(), Fixed);
        Assert.Contains("No findings: nothing in this input matched", html);
        Assert.Contains("No handshake or ICMP echo in this input was answered", html);
        Assert.Contains("Nothing was lost or skipped", html);
    }

    [Fact]
    public void Findings_show_severity_confidence_evidence_and_remediation_most_severe_first()
    {
        var low = new Finding { Kind = "k-low", Title = "minor thing", Severity = Severity.Low, Confidence = 0.5, Remediation = "wait" };
        var high = new Finding
        {
            Kind = "k-high", Title = "big thing", Severity = Severity.High, Confidence = 0.75, Remediation = "fix it now",
            Evidence = [new Evidence("SYNs retransmitted at ~1 s", "84")],
        };
        var html = HtmlReport.Render(TestModels.Empty([low, high]), Fixed);
        Assert.True(html.IndexOf("big thing", StringComparison.Ordinal) < html.IndexOf("minor thing", StringComparison.Ordinal));
        Assert.Contains("<span class=\"sev sev-high\">high</span>", html);
        Assert.Contains("75 %", html);
        Assert.Contains("SYNs retransmitted at ~1 s", html);
        Assert.Contains("fix it now", html);
        Assert.Contains("Findings (2)", html);
    }

    [Fact]
    public void Damaged_input_is_reported_with_what_it_does_to_confidence()
    {
        var html = HtmlReport.Render(TestModels.Hostile(), Fixed);
        Assert.Contains("1 of 1 files were not read to the end", html);
        Assert.Contains("2 malformed frames were skipped", html);
        Assert.Contains("no — reading stopped at damage", html);
        Assert.Contains("confidence", html);
    }

    [Fact]
    public void Strings_from_captures_and_metadata_stay_inert_text()
    {
        var html = HtmlReport.Render(TestModels.Hostile(), Fixed);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<svg onload", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("id=\"injected", html, StringComparison.OrdinalIgnoreCase);
        // ...and the text is there for the reader, escaped.
        Assert.Contains("&lt;script&gt;document.body.setAttribute(&#39;data-pwned&#39;,&#39;1&#39;)&lt;/script&gt;", html);
        Assert.Contains("api.&lt;svg onload=alert(1)&gt;.example.com", html);
        Assert.Contains("evil-pod&quot;&gt;&lt;iframe", html);
    }

    [Fact]
    public void The_report_loads_nothing_from_outside_and_ships_no_script()
    {
        var html = HtmlReport.Render(SyntheticAnalysis.Create(20_000), Fixed);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@font-face", html, StringComparison.OrdinalIgnoreCase);
        foreach (Match m in Regex.Matches(html, "\\b(src|href)\\s*=\\s*\"([^\"]*)\"", RegexOptions.IgnoreCase))
            Assert.True(m.Groups[2].Value.StartsWith("data:") || m.Groups[2].Value.StartsWith('#'), $"external reference: {m.Value[..Math.Min(80, m.Value.Length)]}");
        foreach (Match m in Regex.Matches(html, "url\\(([^)]*)\\)", RegexOptions.IgnoreCase))
            Assert.StartsWith("#", m.Groups[1].Value.Trim('\'', '"'));
        Assert.Contains("Content-Security-Policy", html);
        Assert.Contains("default-src 'none'", html);
    }

    [Fact]
    public void Large_scatter_is_a_png_and_small_charts_are_inline_svg()
    {
        var html = HtmlReport.Render(SyntheticAnalysis.Create(50_000), Fixed);
        var scatter = Regex.Match(html, "<figure class=\"chart\" id=\"chart-latency-handshake\">(.{0,40})", RegexOptions.Singleline);
        Assert.True(scatter.Success);
        Assert.StartsWith("<img", scatter.Groups[1].Value);
        Assert.Matches("<figure class=\"chart\" id=\"chart-histogram-0\"><svg", html);
        Assert.Matches("<figure class=\"chart\" id=\"chart-syn-retransmits\"><svg", html);
        Assert.Contains("points drawn: every point above P99", html);
    }

    [Fact]
    public void Small_input_draws_every_point_as_svg()
    {
        var html = HtmlReport.Render(TestModels.Hostile(), Fixed);
        Assert.Matches("<figure class=\"chart\" id=\"chart-latency-handshake\"><svg", html);
        Assert.Matches("<figure class=\"chart\" id=\"chart-latency-synack\"><svg", html);
        Assert.Matches("<figure class=\"chart\" id=\"chart-latency-icmp\"><svg", html);
        Assert.Contains("All 51 points drawn.", html);
    }

    [Fact]
    public void Percentile_table_shows_the_numbers()
    {
        var hs = Enumerable.Range(1, 1000).Select(i => new Handshake
        {
            Client = "10.0.0.1:" + (1000 + i), Server = "10.0.0.2:80", SynTime = 100 + i,
            SynAckRttMicros = i * 1000, AckRttMicros = i * 1000 + 10, Outcome = HandshakeOutcome.Established,
        }).ToList();
        var html = HtmlReport.Render(TestModels.Empty() with { Handshakes = hs }, Fixed);
        // SYN -> SYN-ACK row: P50 500 ms, P90 900, P99 990, P99.9 999, max 1000.
        Assert.Matches("<td>SYN → SYN-ACK</td><td class=\"num\">1,000</td><td class=\"num\">500.0</td><td class=\"num\">900.0</td>" +
                       "<td class=\"num\">990.0</td><td class=\"num\">999.0</td><td class=\"num\">1,000.0</td>", html);
    }

    [Fact]
    public void Write_creates_the_file_atomically_and_replaces_an_old_one()
    {
        var dir = Directory.CreateTempSubdirectory("ntreport");
        try
        {
            var path = Path.Combine(dir.FullName, "sub", "r.html");
            HtmlReport.Write(TestModels.Empty(), path);
            HtmlReport.Write(TestModels.Hostile(), path);
            var text = File.ReadAllText(path);
            Assert.StartsWith("<!DOCTYPE html>", text);
            Assert.EndsWith("</html>\n", text);
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }
        finally { dir.Delete(true); }
    }
}

public class WorstTablesTests
{
    [Fact]
    public void Icmp_pairs_name_the_cpu_that_handled_them_when_a_recording_says()
    {
        var echoes = Enumerable.Range(0, 10).Select(i => new IcmpEcho
        {
            Src = "10.0.0.1", Dst = "10.0.0.2", Id = 1, Seq = i, RequestTime = 100 + i, RttMicros = 100 + i * 100_000, Cpu = 11,
        }).ToList();
        var html = HtmlReport.Render(TestModels.Empty() with { IcmpEchoes = echoes });
        Assert.Contains("<th>Handled on CPU</th>", html);
        Assert.Matches("<td class=\"mono\">10.0.0.1</td><td class=\"mono\">10.0.0.2</td><td class=\"num\">10</td><td class=\"num\">0</td>" +
                       "<td class=\"num\">400.1</td><td class=\"num\">900.1</td><td class=\"num\">900.1</td><td>11</td>", html);
        Assert.DoesNotContain("Handled on CPU", HtmlReport.Render(TestModels.Hostile()));
    }

    [Fact]
    public void Client_hosts_are_grouped_across_ports_and_failures_rank_first()
    {
        var hs = new List<Handshake>();
        for (int i = 0; i < 20; i++)
            hs.Add(new Handshake { Client = $"10.0.0.1:{1000 + i}", Server = "10.0.0.9:80", SynTime = i, SynAckRttMicros = 1000 * (i + 1), AckRttMicros = 1000 * (i + 1) + 5, Outcome = HandshakeOutcome.Established });
        hs.Add(new Handshake { Client = "[2001:db8::7]:5000", Server = "[2001:db8::9]:443", SynTime = 3, SynRetransmits = 2, SynRetransmitGapsMicros = [1e6, 2e6], Outcome = HandshakeOutcome.Unanswered });
        var groups = NetTrace.Reports.Data.FlowGroups.Tcp(hs, 10);
        Assert.Equal(2, groups.Count);
        Assert.Equal(("2001:db8::7", "[2001:db8::9]:443", 1, 1, 2), (groups[0].Client, groups[0].Server, groups[0].Attempts, groups[0].Failed, groups[0].SynRetransmits));
        Assert.Equal(("10.0.0.1", 20), (groups[1].Client, groups[1].Attempts));
        Assert.Equal(20_005, groups[1].MaxMicros);
        Assert.Equal(10_005, groups[1].P50Micros);
    }
}
