using System.Text.RegularExpressions;
using NetTrace.Analyzer.Model;
using NetTrace.Reports.Synthetic;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>The receive-path stall section: when it appears, what it says about its data, and that its tables show the data.</summary>
public class StallSectionTests
{
    private static readonly HtmlReportOptions Fixed = new() { GeneratedAt = DateTimeOffset.UnixEpoch };

    private static string Render(SyntheticStalls.Settings s) => HtmlReport.Render(SyntheticStalls.Result(s, handshakes: 500), Fixed);

    private static string Section(string html)
    {
        int a = html.IndexOf("<section id=\"stalls\">", StringComparison.Ordinal);
        Assert.True(a >= 0, "no stall section");
        return html[a..(html.IndexOf("</section>", a, StringComparison.Ordinal))];
    }

    [Fact]
    public void No_stall_analysis_or_an_empty_one_renders_no_section()
    {
        var plain = SyntheticAnalysis.Create(500);
        Assert.DoesNotContain("id=\"stalls\"", HtmlReport.Render(plain, Fixed));
        Assert.DoesNotContain("id=\"stalls\"", HtmlReport.Render(plain with { Stalls = new StallAnalysis() }, Fixed));
    }

    [Fact]
    public void Live_and_capture_data_show_heatmap_timeline_queues_and_stall_list_after_the_findings()
    {
        var html = Render(new SyntheticStalls.Settings());
        int findings = html.IndexOf("<section id=\"findings\">", StringComparison.Ordinal);
        int stalls = html.IndexOf("<section id=\"stalls\">", StringComparison.Ordinal);
        int latency = html.IndexOf("<section id=\"latency\">", StringComparison.Ordinal);
        Assert.True(findings < stalls && stalls < latency);
        var s = Section(html);
        Assert.Contains("Receive-path stalls (7)", s);                      // 6 one-CPU stalls and a VM pause
        Assert.Contains("From live eBPF tracing", s);
        Assert.Contains("id=\"chart-cpu-delay\"", s);
        Assert.Contains("id=\"chart-stall-timeline\"", s);
        Assert.Contains("id=\"chart-rxq-flows\"", s);
        Assert.Contains("id=\"chart-rxq-delayed\"", s);
        Assert.Contains("6 hit one CPU while the others ran", s);
        Assert.Contains("1 hit every CPU at once (a whole-VM pause", s);
        Assert.Contains("most often the CPU was held by cadvisor (pid 4242) (6 stalls)", s);
    }

    [Fact]
    public void Only_capture_data_says_so_and_has_no_heatmap()
    {
        var s = Section(Render(new SyntheticStalls.Settings { Live = false }));
        Assert.Contains("Only capture data", s);
        Assert.DoesNotContain("chart-cpu-delay", s);
        Assert.Contains("id=\"chart-rxq-flows\"", s);
        Assert.DoesNotContain("Only live eBPF data", s);
    }

    [Fact]
    public void Only_live_data_says_so_and_has_no_queue_attribution()
    {
        var s = Section(Render(new SyntheticStalls.Settings { Capture = false }));
        Assert.Contains("Only live eBPF data", s);
        Assert.Contains("id=\"chart-cpu-delay\"", s);
        Assert.DoesNotContain("chart-rxq-", s);
        Assert.DoesNotContain("Only capture data", s);
    }

    [Fact]
    public void Stall_list_has_one_row_per_stall_with_scope_cpu_queue_and_tasks()
    {
        var set = new SyntheticStalls.Settings();
        var analysis = SyntheticStalls.Create(set);
        var s = Section(HtmlReport.Render(SyntheticStalls.Result(set, 500), Fixed));
        var list = s[s.IndexOf("<h3>Stalls</h3>", StringComparison.Ordinal)..];
        var rows = Regex.Matches(list, "<tr( class=\"vm-pause\")?><td class=\"when\">").Count;
        Assert.Equal(analysis.Stalls.Count, rows);
        Assert.Single(Regex.Matches(list, "<tr class=\"vm-pause\">"));
        Assert.Contains("<td>all CPUs (VM pause)</td>", list);
        // All on one day and all from live tracing: the date goes into the header, the source under the table.
        var firstStart = Html.HtmlWriter.Utc(analysis.Stalls.Min(w => w.Start));
        Assert.Contains($"<th>Start ({firstStart[..10]}, UTC)</th>", list);
        Assert.Contains($"<td class=\"when\">{firstStart[11..^1]}</td>", list);
        Assert.DoesNotContain("<th>From</th>", list);
        Assert.Contains("All from live eBPF tracing.", list);
        Assert.Equal(6, Regex.Matches(list, "<td>CPU 1, RX queue 3</td>").Count);
        Assert.Equal(6, Regex.Matches(list, "<td class=\"mono\">ksoftirqd/1</td>").Count);
        var first = analysis.Stalls.OrderBy(w => w.Start).First();
        Assert.Contains($"{first.PacketsDelayed:N0} ({first.IcmpDelayed:N0} / {first.TcpDelayed:N0})", list);
    }

    [Fact]
    public void The_queue_the_stalls_concentrate_on_is_highlighted()
    {
        var s = Section(Render(new SyntheticStalls.Settings()));
        var hot = Regex.Matches(s, "<tr class=\"hot\"><td class=\"num\">([0-9]+) ◀</td>");
        Assert.Single(hot);
        Assert.Equal(SyntheticStalls.HotQueue.ToString(), hot[0].Groups[1].Value);
        Assert.Contains($"The stalls concentrate on RX queue {SyntheticStalls.HotQueue}: 6 of 6 stalls", s);
    }

    [Fact]
    public void Spread_out_stalls_highlight_no_queue()
    {
        var queues = Enumerable.Range(0, 4).Select(q => new RxQueueAttribution { Queue = q, Flows = 2, Stalls = 1, DelayedPackets = 5 }).ToList();
        Assert.Null(Data.StallView.Concentration(queues));
        var windows = queues.Select(q => new StallWindow { Start = 1_780_000_000 + q.Queue, End = 1_780_000_000.2 + q.Queue, MaxDelayMs = 200, Source = "capture", RxQueue = q.Queue }).ToList();
        var html = HtmlReport.Render(TestModels.Empty() with { Stalls = new StallAnalysis { Queues = queues, Stalls = windows } }, Fixed);
        Assert.DoesNotContain("<tr class=\"hot\">", html);
        Assert.Contains("spread evenly over several queues", html);
    }

    [Fact]
    public void A_queue_with_more_stalls_than_any_other_is_marked_even_below_half()
    {
        var queues = Enumerable.Range(0, 4).Select(q => new RxQueueAttribution { Queue = q, Flows = 2, Stalls = q == 2 ? 3 : 2, DelayedPackets = 5 }).ToList();
        Assert.Equal(2, Data.StallView.Concentration(queues)!.Queue);
        var windows = new[] { new StallWindow { Start = 1_780_000_000, End = 1_780_000_000.2, MaxDelayMs = 200, Source = "capture", RxQueue = 2 } };
        var s = Section(HtmlReport.Render(TestModels.Empty() with { Stalls = new StallAnalysis { Queues = queues, Stalls = windows } }, Fixed));
        Assert.Contains("RX queue 2 has the most stalls, the rest are spread over other queues: 3 of 9 stalls", s);
        Assert.Single(Regex.Matches(s, "<tr class=\"hot\">"));
        // A capture names no tasks: no Held by / Ran in columns.
        Assert.DoesNotContain("<th>Held by</th>", s);
    }

    [Fact]
    public void Stall_findings_render_with_their_evidence_and_a_link_to_the_details()
    {
        var html = Render(new SyntheticStalls.Settings());
        var findings = html[html.IndexOf("<section id=\"findings\">", StringComparison.Ordinal)..html.IndexOf("<section id=\"stalls\">", StringComparison.Ordinal)];
        Assert.Contains("NET_RX softirq on CPU 1 held off 6 times by cadvisor", findings);
        Assert.Contains("<td class=\"mono\">softirq-stall</td>", findings);
        Assert.Contains("<td class=\"mono\">rx-queue-stall</td>", findings);
        Assert.Contains("<td>Held by</td><td class=\"mono\">cadvisor (pid 4242)</td>", findings);
        Assert.Equal(2, Regex.Matches(findings, "<a href=\"#stalls\">").Count);
    }

    [Fact]
    public void Hostile_task_names_and_flow_strings_stay_inert_text()
    {
        var set = new SyntheticStalls.Settings { HeldByComm = TestModels.ScriptPayload };
        var r = SyntheticStalls.Result(set, 300);
        var a = r.Stalls!;
        var hostile = r with
        {
            Stalls = a with
            {
                Stalls = a.Stalls.Select(w => w with { Flows = [TestModels.PodPayload, TestModels.DnsLikePayload], RanIn = TestModels.MarkupPayload }).ToList(),
                Rss = new RssSettingsInfo(TestModels.MarkupPayload, 8, TestModels.ScriptPayload),
            },
        };
        var html = HtmlReport.Render(hostile, Fixed);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<svg onload", html, StringComparison.OrdinalIgnoreCase);
        var s = Section(html);
        Assert.Contains("&lt;script&gt;document.body.setAttribute(&#39;data-pwned&#39;,&#39;1&#39;)&lt;/script&gt; (pid 4242)", s);
        Assert.Contains("evil-pod&quot;&gt;&lt;iframe", s);
        Assert.Contains("api.&lt;svg onload=alert(1)&gt;.example.com", s);
    }

    [Fact]
    public void Looking_and_finding_nothing_is_one_line_without_charts()
    {
        var a = SyntheticStalls.Create(new SyntheticStalls.Settings { Live = false });
        var calm = new StallAnalysis
        {
            Queues = a.Queues.Select(q => q with { DelayedPackets = 0, Stalls = 0 }).ToList(),
            Timeline = a.Timeline.Select(p => p with { InStall = false, LatencyMs = 0.1 }).ToList(),
            Rss = a.Rss,
        };
        var s = Section(HtmlReport.Render(TestModels.Empty() with { Stalls = calm }, Fixed));
        Assert.Contains($"No stall found in {a.Timeline.Count:N0} latency points on 8 RX queues", s);
        Assert.Contains("Captures cannot show softirq delay per CPU", s);
        Assert.DoesNotContain("<figure", s);
        Assert.DoesNotContain("<table", s);
    }

    [Fact]
    public void Queues_of_several_captures_are_summed_per_queue_number()
    {
        var one = new RxQueueAttribution { Queue = 2, Flows = 3, IcmpFlows = 1, TcpFlows = 2, Packets = 100, DelayedPackets = 10, Stalls = 2 };
        var two = new RxQueueAttribution { Queue = 2, Flows = 4, IcmpFlows = 0, TcpFlows = 4, Packets = 50, DelayedPackets = 5, Stalls = 1 };
        var other = new RxQueueAttribution { Queue = 0, Flows = 1, TcpFlows = 1, Packets = 7 };
        var stalls = new StallAnalysis
        {
            Queues = [one, other, two],
            Stalls = [new StallWindow { Start = 1_780_000_000, End = 1_780_000_000.5, MaxDelayMs = 500, Source = "capture", RxQueue = 2, Scope = StallScope.OneCpu }],
        };
        var s = Section(HtmlReport.Render(TestModels.Empty() with { Stalls = stalls }, Fixed));
        Assert.Contains("<tr class=\"hot\"><td class=\"num\">2 ◀</td><td class=\"num\">7</td><td class=\"num\">1</td><td class=\"num\">6</td>" +
                        "<td class=\"num\">150</td><td class=\"num\">15</td><td class=\"num\">10 %</td><td class=\"num\">3</td></tr>", s);
        Assert.Equal(2, Regex.Matches(s, "<tr( class=\"hot\")?><td class=\"num\">[0-9]").Count);
    }

    [Theory]
    [InlineData(1_780_000_000.5714285, "2026-05-28 20:26:40.571429Z")]   // rounds like the JSON's six decimals, not truncated
    [InlineData(1_780_000_000.0000004, "2026-05-28 20:26:40.000000Z")]
    [InlineData(1_780_000_000.9999998, "2026-05-28 20:26:41.000000Z")]
    [InlineData(-0.25, "1969-12-31 23:59:59.750000Z")]
    public void Utc_times_round_to_the_microsecond_like_the_json(double t, string shown)
    {
        Assert.Equal(shown, Html.HtmlWriter.Utc(t));
        if (t > 0) Assert.Equal(t.ToString("F6", System.Globalization.CultureInfo.InvariantCulture)[^6..], shown[20..26]);
    }
}
