using System.Diagnostics;
using NetTrace.Analyzer.Output;
using NetTrace.Cli;
using NetTrace.Cli.Commands;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Reports.Tests;

public class ReportCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ntreport");
    public void Dispose() => _dir.Delete(true);

    private string PathIn(string name) => Path.Combine(_dir.FullName, name);

    private static (int code, string stdout, string stderr) Run(ReportOptions o)
    {
        var (outW, errW) = (new StringWriter(), new StringWriter());
        int code = ReportHandler.Run(o, outW, errW, TestContext.Current.CancellationToken);
        return (code, outW.ToString(), errW.ToString());
    }

    [Fact]
    public void Saved_analysis_json_becomes_a_report()
    {
        var json = PathIn("a.json");
        File.WriteAllText(json, JsonResultWriter.ToJson(TestModels.Hostile()));
        var html = PathIn("a.html");
        var (code, _, err) = Run(new ReportOptions { Inputs = [json], Output = html, Title = "incident <42>" });
        Assert.Equal(Program.ExitWarnings, code);   // the saved analysis says its input was damaged
        Assert.Contains("read the saved analysis", err);
        var text = File.ReadAllText(html);
        Assert.Contains("<title>incident &lt;42&gt;</title>", text);
        Assert.Contains("SYN lost &lt;script&gt;", text);
    }

    [Fact]
    public void Captures_are_analysed_then_reported()
    {
        var html = PathIn("c.html");
        var (code, _, err) = Run(new ReportOptions { Inputs = [SharedPcaps.File("chrissanders-latency1.pcapng")], Output = html, Quiet = true });
        Assert.Equal(Program.ExitOk, code);
        Assert.Equal("", err);
        Assert.Contains("chrissanders-latency1.pcapng", File.ReadAllText(html));
    }

    [Fact]
    public void Missing_output_is_a_usage_error() =>
        Assert.Equal(Program.ExitUsage, Run(new ReportOptions { Inputs = ["x.json"] }).code);

    [Fact]
    public void Broken_json_fails_with_the_reason_and_writes_nothing()
    {
        var json = PathIn("bad.json");
        File.WriteAllText(json, "{\"schemaVersion\": 1, \"sources\": [");
        var html = PathIn("bad.html");
        var (code, _, err) = Run(new ReportOptions { Inputs = [json], Output = html });
        Assert.Equal(Program.ExitFailed, code);
        Assert.Contains("not valid nettrace analysis JSON", err);
        Assert.False(File.Exists(html));
    }

    [Fact]
    public void Json_together_with_captures_is_refused()
    {
        var json = PathIn("a.json");
        File.WriteAllText(json, JsonResultWriter.ToJson(TestModels.Empty()));
        var (code, _, err) = Run(new ReportOptions { Inputs = [json, SharedPcaps.File("chrissanders-latency1.pcapng")], Output = PathIn("x.html") });
        Assert.Equal(Program.ExitFailed, code);
        Assert.Contains("reported on its own", err);
    }

    [Fact]
    public void Unreadable_capture_still_gets_a_report_that_says_so()
    {
        var junk = PathIn("junk.pcap");
        File.WriteAllText(junk, "this is not a capture");
        var html = PathIn("junk.html");
        var (code, _, err) = Run(new ReportOptions { Inputs = [junk], Output = html });
        Assert.Equal(Program.ExitFailed, code);
        Assert.Contains("could not read", err);
        Assert.Contains("could not read", File.ReadAllText(html));
    }

    [Fact]
    public async Task The_real_executable_writes_a_report_and_nothing_stray_on_stderr()
    {
        // Out of process, so native output (Skia prints warnings straight to the C stderr) would be seen.
        var html = PathIn("p.html");
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "nettrace.dll"), "report", "--quiet",
            SharedPcaps.File("chrissanders-http_espn_fail.pcapng"), SharedPcaps.File("chrissanders-icmp_traceroute.pcapng"), "-o", html])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await p.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal("", await stderr);
        Assert.Equal("", await stdout);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("<section id=\"findings\">", File.ReadAllText(html));
    }

    [Fact]
    public void Analyze_with_html_writes_the_same_report()
    {
        var html = PathIn("analyze.html");
        var options = new AnalyzeOptions { Paths = [SharedPcaps.File("chrissanders-http_espn_fail.pcapng")], Html = html, Quiet = true, Json = true };
        int code = AnalyzeHandler.Run(options, new StringWriter(), new StringWriter(), TestContext.Current.CancellationToken);
        Assert.Equal(Program.ExitOk, code);
        var text = File.ReadAllText(html);
        Assert.Contains("<section id=\"findings\">", text);
        Assert.Contains("chart-latency-handshake", text);
    }

    [Fact]
    public async Task Help_shows_examples()
    {
        var output = new StringWriter();
        var code = await Program.BuildRoot().Parse(["report", "--help"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output });
        Assert.Equal(0, code);
        Assert.Contains("nettrace report analysis.json -o report.html", output.ToString());
        Assert.DoesNotContain("--synthetic", output.ToString());
    }
}
