using NetTrace.Analyzer.Output;
using NetTrace.Cli;
using NetTrace.Cli.Commands;
using NetTrace.Reports.Synthetic;
using Xunit;

namespace NetTrace.Reports.Tests;

/// <summary>`nettrace report` on a saved analysis with stall data: the JSON carries the stalls into the report.</summary>
public class StallReportCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ntstall");
    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void Saved_analysis_with_stalls_becomes_a_report_with_the_stall_section()
    {
        var result = SyntheticStalls.Result(new SyntheticStalls.Settings { HeldByComm = TestModels.ScriptPayload }, handshakes: 1_000);
        var json = Path.Combine(_dir.FullName, "stalls.json");
        using (var f = File.Create(json)) JsonResultWriter.Write(result, f);
        var html = Path.Combine(_dir.FullName, "stalls.html");
        var (o, e) = (new StringWriter(), new StringWriter());
        int code = ReportHandler.Run(new ReportOptions { Inputs = [json], Output = html }, o, e, TestContext.Current.CancellationToken);
        Assert.Equal(Program.ExitOk, code);
        var text = File.ReadAllText(html);
        Assert.Contains("<section id=\"stalls\">", text);
        Assert.Contains("id=\"chart-cpu-delay\"", text);
        Assert.Contains("id=\"chart-stall-timeline\"", text);
        Assert.Equal(result.Stalls!.CpuDelay.Select(c => c.Cpu).Distinct().Count(),
            System.Text.RegularExpressions.Regex.Matches(text, "<g data-cpu=\"").Count);
        Assert.Contains("softirq-stall", text);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", text);
        // The JSON keeps microseconds, so heatmap, queue table and stall list read the same as from the model. (The timeline's
        // thinning may pick other points in the same pixel cells once latencies are rounded to microseconds.)
        var fixedOpts = new HtmlReportOptions { GeneratedAt = DateTimeOffset.UnixEpoch };
        var fromModel = HtmlReport.Render(result, fixedOpts);
        var fromJson = HtmlReport.Render(JsonResultReader.Read(json), fixedOpts);
        foreach (var (start, end) in new[] { ("<figure class=\"chart\" id=\"chart-cpu-delay\">", "</figure>"), ("<h3>RX queues</h3>", "<figure"), ("<h3>Stalls</h3>", "</section>") })
            Assert.Equal(Part(fromModel, start, end), Part(fromJson, start, end));
    }

    private static string Part(string html, string start, string end)
    {
        int a = html.IndexOf(start, StringComparison.Ordinal);
        Assert.True(a >= 0, $"{start} is missing");
        return html[a..html.IndexOf(end, a + start.Length, StringComparison.Ordinal)];
    }
}
