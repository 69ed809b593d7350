using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NetTrace.Analyzer;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>Reports opened in headless Chromium: they render, every chart shows, nothing errors or loads from outside.</summary>
public class BrowserTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static string ArtifactsDir
    {
        get
        {
            var d = Path.Combine(RepoRoot.Path, "artifacts", "test-results", "reports");
            Directory.CreateDirectory(d);
            return d;
        }
    }

    [Fact]
    public async Task Report_from_the_shared_captures_renders_with_every_chart_visible()
    {
        // Every shared capture in one run: handshakes, SYN retransmissions, ICMP echoes, damaged files.
        var captures = Directory.GetFiles(SharedPcaps.Dir).Where(f => f.EndsWith(".pcap") || f.EndsWith(".pcapng")).Order().ToList();
        Assert.True(captures.Count >= 10, $"expected the shared captures in {SharedPcaps.Dir}");
        var result = CaptureAnalyzer.Analyze(captures, AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
        Assert.NotEmpty(result.Handshakes);
        Assert.NotEmpty(result.IcmpEchoes);
        var path = Path.Combine(ArtifactsDir, "shared-captures.html");
        HtmlReport.Write(result, path);

        var page = await OpenAsync(path, "shared-captures.png");
        Assert.True(await page.Locator("#findings").IsVisibleAsync());
        Assert.Equal(result.Findings.Count, await page.Locator("#findings article.finding").CountAsync());
        // Handshake, SYN-ACK and ICMP panels, three histograms and the SYN-retransmission timeline.
        Assert.Equal(7, await page.Locator("figure.chart").CountAsync());
    }

    [Fact]
    public async Task Large_report_with_png_scatter_renders()
    {
        var path = Path.Combine(ArtifactsDir, "synthetic-100k.html");
        HtmlReport.Write(Synthetic.SyntheticAnalysis.Create(100_000), path);
        var page = await OpenAsync(path, "synthetic-100k.png");
        // 100k handshakes: both handshake scatter panels are PNGs; 1,000 echoes and the other charts stay SVG.
        Assert.Equal(2, await page.Locator("figure.chart > img").CountAsync());
        Assert.Equal(5, await page.Locator("figure.chart > svg").CountAsync());
    }

    [Fact]
    public async Task Snat_race_section_renders_its_timeline_and_pod_table()
    {
        var path = Path.Combine(ArtifactsDir, "snat-race.html");
        HtmlReport.Write(SnatRaceSectionTests.Race(podAName: TestModels.PodPayload), path);
        var page = await OpenAsync(path, "snat-race.png");
        Assert.True(await page.Locator("#snat-race figure.chart > svg").IsVisibleAsync());
        var rows = await page.Locator("#snat-race table tbody tr").AllInnerTextsAsync();
        Assert.Equal(2, rows.Count);
        Assert.StartsWith(TestModels.PodPayload, rows[0]);
        Assert.Equal(0, await page.EvaluateAsync<int>("document.querySelectorAll('iframe, [id^=injected]').length"));
    }

    [Fact]
    public async Task Markup_in_a_pcapng_comment_and_in_names_stays_inert_in_the_browser()
    {
        var dir = Directory.CreateTempSubdirectory("ntreport");
        try
        {
            var capture = AnalyzerPipelineTests.WriteHostilePcapng(dir.FullName);
            var analysed = CaptureAnalyzer.Analyze([capture], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
            // Pod and DNS names arrive through metadata enrichment, which this capture does not have: set them as it would.
            var result = analysed with
            {
                Handshakes = analysed.Handshakes.Select(h => h with { ClientName = TestModels.PodPayload, ServerName = TestModels.DnsLikePayload }).ToList(),
                Findings = [.. analysed.Findings, .. TestModels.Hostile().Findings],
            };
            var path = Path.Combine(ArtifactsDir, "hostile.html");
            HtmlReport.Write(result, path);

            var page = await OpenAsync(path, "hostile.png");
            Assert.Equal(0, await page.EvaluateAsync<int>("document.querySelectorAll('script').length"));
            Assert.Equal(0, await page.EvaluateAsync<int>("document.querySelectorAll('iframe, [id^=injected], img:not(figure.chart > img), [onerror], [onload]').length"));
            Assert.Null(await page.EvaluateAsync<string?>("document.body.getAttribute('data-pwned')"));
            Assert.NotEqual("pwned", await page.TitleAsync());
            // The text is shown to the reader as it was in the capture.
            var comments = await page.Locator("ul.comments li").AllInnerTextsAsync();
            Assert.Contains(TestModels.ScriptPayload + " " + TestModels.DnsLikePayload, comments);
            Assert.Contains(TestModels.MarkupPayload, comments);
            Assert.Contains(TestModels.PodPayload, await page.Locator("#worst").InnerTextAsync());
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public async Task Stall_report_shows_heatmap_timeline_and_queue_charts_with_a_hostile_task_name_inert()
    {
        var path = Path.Combine(ArtifactsDir, "stalls.html");
        var settings = new Synthetic.SyntheticStalls.Settings { HeldByComm = TestModels.ScriptPayload, Cpus = 8, TimelinePoints = 20_000 };
        HtmlReport.Write(Synthetic.SyntheticStalls.Result(settings, handshakes: 2_000), path);
        var page = await OpenAsync(path, "stalls.png");
        Assert.True(await page.Locator("#stalls").IsVisibleAsync());
        // Heatmap (hand-built SVG, one row per CPU), timeline (PNG at this size), flows and delayed-packets bars.
        Assert.True(await page.Locator("#chart-cpu-delay > svg").IsVisibleAsync());
        Assert.Equal(8, await page.Locator("#chart-cpu-delay svg g[data-cpu]").CountAsync());
        Assert.Equal(1, await page.Locator("#chart-stall-timeline > img").CountAsync());
        Assert.True(await page.Locator("#chart-rxq-flows > svg").IsVisibleAsync());
        Assert.True(await page.Locator("#chart-rxq-delayed > svg").IsVisibleAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("document.querySelectorAll('script, iframe, [id^=injected]').length"));
        Assert.Null(await page.EvaluateAsync<string?>("document.body.getAttribute('data-pwned')"));
        // The task name is shown as text, as the kernel reported it.
        var heldBy = await page.Locator("#stalls table").Last.Locator("tbody tr").First.Locator("td").Nth(5).InnerTextAsync();
        Assert.Equal(TestModels.ScriptPayload + " (pid 4242)", heldBy);
        Assert.Equal(1, await page.Locator("#stalls tr.hot").CountAsync());
    }

    /// <summary>
    /// Opens the report and checks what every report must satisfy: no console errors or page errors, no request
    /// leaves the file, the findings section is there, every chart is visible with a non-zero size (PNG charts
    /// decoded), and a full-page screenshot is saved under artifacts/.
    /// </summary>
    private async Task<IPage> OpenAsync(string htmlPath, string screenshotName)
    {
        var browser = await chromium.BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        var outside = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add("page error: " + e);
        await page.RouteAsync("**/*", async route =>
        {
            var url = route.Request.Url;
            if (url.StartsWith("file://", StringComparison.Ordinal) || url.StartsWith("data:", StringComparison.Ordinal)) await route.ContinueAsync();
            else { outside.Add(url); await route.AbortAsync(); }
        });

        var response = await page.GotoAsync(new Uri(htmlPath).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        Assert.NotNull(response);
        Assert.Empty(errors);
        Assert.Empty(outside);
        Assert.True(await page.Locator("#sources").IsVisibleAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("document.querySelectorAll('script').length"));   // the report ships none
        Assert.True(await page.Locator("#findings").IsVisibleAsync());

        var charts = page.Locator("figure.chart > svg, figure.chart > img");
        int count = await charts.CountAsync();
        Assert.True(count > 0, "the report has no charts");
        Assert.Equal(Regex.Matches(await File.ReadAllTextAsync(htmlPath), "<figure class=\"chart\"").Count, count);
        for (int i = 0; i < count; i++)
        {
            var chart = charts.Nth(i);
            await chart.ScrollIntoViewIfNeededAsync();
            Assert.True(await chart.IsVisibleAsync(), $"chart {i} is not visible");
            var box = await chart.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.Width > 100 && box.Height > 100, $"chart {i} is {box.Width}x{box.Height}");
            if (await chart.EvaluateAsync<string>("e => e.tagName") == "IMG")
                Assert.True(await chart.EvaluateAsync<bool>("e => e.complete && e.naturalWidth > 0"), $"chart {i}'s PNG did not decode");
            else
                Assert.True(await chart.EvaluateAsync<int>("e => e.querySelectorAll('*').length") > 10, $"chart {i}'s SVG is empty");
        }
        Assert.Empty(errors);

        var shot = Path.Combine(ArtifactsDir, screenshotName);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 10_000, "screenshot was not written");
        TestContext.Current.AddAttachment(screenshotName, shot);
        return page;
    }
}
