using System.Diagnostics;
using NetTrace.Analyzer.Model;
using NetTrace.Reports.Charts;
using NetTrace.Reports.Data;
using NetTrace.Reports.Synthetic;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>The stall latency timeline: every point in a stall is drawn, the rest thinned, and big timelines keep the report small.</summary>
public class StallTimelineTests
{
    [Fact]
    public void Every_point_inside_a_stall_is_kept_and_calm_points_are_thinned()
    {
        var a = SyntheticStalls.Create(new SyntheticStalls.Settings { TimelinePoints = 200_000 });
        int inStall = a.Timeline.Count(p => p.InStall);
        Assert.True(inStall > 1000, $"only {inStall} points in stalls");
        // The whole selection is far smaller than the input (this is what keeps the chart a small PNG).
        Assert.True(StallTimelineSelection.Select(a.Timeline, 550, 160, logY: true).Sum(k => k.Times.Length) < a.Timeline.Count * 0.6);
        var kinds = StallTimelineSelection.Select(a.Timeline, 550, 160, logY: true);
        Assert.Equal(["icmp", "tcp-syn", "rx-packet"], kinds.Select(k => k.Kind));
        foreach (var k in kinds)
        {
            var want = a.Timeline.Where(p => p.Kind == k.Kind && p.InStall).Select(p => (p.Time, p.LatencyMs)).ToHashSet();
            var got = Enumerable.Range(0, k.Times.Length).Where(i => k.InStall[i]).Select(i => (k.Times[i], k.Ms[i])).ToHashSet();
            Assert.Equal(want, got);
            Assert.Equal(a.Timeline.Count(p => p.Kind == k.Kind), k.Total);
            // Outside stalls at most one point per 550x160 grid cell plus the points above the kind's P99.
            int calmTotal = a.Timeline.Count(p => p.Kind == k.Kind && !p.InStall);
            int calmKept = k.InStall.Count(x => !x);
            Assert.True(calmKept < calmTotal, $"{k.Kind}: nothing thinned");
            Assert.True(calmKept <= 550 * 160 + calmTotal / 100 + 1, $"{k.Kind}: {calmKept} of {calmTotal} calm points kept");
            Assert.Equal(k.Times.Order(), k.Times);
        }
    }

    [Fact]
    public void Small_timeline_is_an_svg_with_every_point_and_every_stall_shaded()
    {
        var set = new SyntheticStalls.Settings { TimelinePoints = 600 };
        var a = SyntheticStalls.Create(set);
        var r = StallTimelineChart.Build(a.Timeline, a.Stalls, HtmlReportOptions.Default)!;
        Assert.True(r.Chart.IsSvg);
        Assert.Equal(a.Timeline.Count, r.Drawn);
        Assert.Equal(a.Stalls.Count, r.Shaded);
        Assert.Contains("ICMP echo (", r.Chart.Markup);       // legend names the kinds with their counts
        Assert.Contains("TCP SYN→SYN-ACK (", r.Chart.Markup);
    }

    [Fact]
    public void Stalls_outside_the_timeline_are_not_shaded()
    {
        var points = Enumerable.Range(0, 50).Select(i => new LatencyPoint { Time = 100 + i, LatencyMs = 0.1, Kind = "icmp" }).ToList();
        StallWindow W(double s) => new() { Start = s, End = s + 0.5, MaxDelayMs = 500, Source = "capture" };
        var r = StallTimelineChart.Build(points, [W(10), W(120), W(400)], HtmlReportOptions.Default)!;
        Assert.Equal(1, r.Shaded);
    }

    [Fact]
    public void Report_with_200k_timeline_points_stays_small_and_fast()
    {
        var set = new SyntheticStalls.Settings { TimelinePoints = 200_000, Cpus = 64, DurationSeconds = 3600, Stalls = 40, SampleSeconds = 1 };
        var result = SyntheticStalls.Result(set, handshakes: 10_000);
        int points = result.Stalls!.Timeline.Count;
        Assert.True(points >= 200_000);
        var timings = new List<(string, TimeSpan)>();
        var sw = Stopwatch.StartNew();
        var html = HtmlReport.Render(result, new HtmlReportOptions { GeneratedAt = DateTimeOffset.UnixEpoch, OnTiming = (p, t) => timings.Add((p, t)) });
        sw.Stop();
        long bytes = System.Text.Encoding.UTF8.GetByteCount(html);
        var stallPart = timings.Single(t => t.Item1 == "receive-path stalls").Item2;
        TestContext.Current.TestOutputHelper?.WriteLine($"stall report: {points:N0} timeline points, {result.Stalls.CpuDelay.Count:N0} CPU samples, " +
            $"{bytes / 1024.0 / 1024.0:0.00} MB, whole report {sw.Elapsed.TotalMilliseconds:N0} ms, stall section {stallPart.TotalMilliseconds:N0} ms");
        Assert.True(bytes < 3 * 1024 * 1024, $"report is {bytes:N0} bytes");
        Assert.True(stallPart < TimeSpan.FromSeconds(15), $"stall section took {stallPart}");
        Assert.Contains("id=\"chart-stall-timeline\"><img", html);      // too many points for SVG: a PNG
        Assert.Equal(64, System.Text.RegularExpressions.Regex.Matches(html, "<g data-cpu=\"").Count);
    }
}
