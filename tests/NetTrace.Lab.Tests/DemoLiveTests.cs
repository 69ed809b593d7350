using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using NetTrace.Cli.Commands;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>`nettrace demo` end to end, in process: lab, live probe, captures, analysis, joined finding, report, cleanup.</summary>
[Collection("snat-race-lab")]
public class DemoLiveTests
{
    [Fact]
    public async Task Live_demo_reports_the_race_matching_the_kernel_and_leaves_nothing_behind()
    {
        Privileged.Require("root (network namespaces, iptables NAT, eBPF conntrack NAT probe)");
        Privileged.RequireTool("tcpdump");
        var dir = Directory.CreateTempSubdirectory("ntdemo");
        try
        {
            var report = Path.Combine(dir.FullName, "report.html");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var clock = Stopwatch.StartNew();
            int code = await DemoLiveHandler.RunAsync(new DemoOptions { Output = report, Rounds = 400 }, stdout, stderr,
                TestContext.Current.CancellationToken);
            clock.Stop();
            string text = stdout.ToString(), progress = stderr.ToString();
            Assert.True(code == NetTrace.Cli.Program.ExitOk, $"exit {code}\nstdout:\n{text}\nstderr:\n{progress}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");

            // One progress line per step on stderr.
            for (int step = 1; step <= 4; step++) Assert.Contains($"nettrace demo [{step}/4]", progress);

            // The printed finding's count of affected connects (from the captures) against the kernel's insert_failed rise.
            int affected = Number(text, @"affected connects \(first SYN lost inside the NAT, from the pre/post-NAT captures\): (\d+) of 800");
            int insertFailed = Number(text, @"conntrack insert_failed rise \(kernel, same run\): \+(\d+)");
            Assert.True(insertFailed > 0, $"no race in 400 rounds:\n{text}");
            Assert.True(Math.Abs(affected - insertFailed) <= 0.02 * insertFailed,
                $"affected {affected} vs insert_failed +{insertFailed}:\n{text}");
            // The clients' kernels agree (tcpconnect probe in the pods' namespaces).
            int retransmitted = Number(text, @"connects that retransmitted their SYN, seen by the tcpconnect eBPF probe: (\d+) of \d+ \(0 events lost\)");
            Assert.True(Math.Abs(retransmitted - insertFailed) <= 0.02 * insertFailed, $"tcpconnect {retransmitted} vs +{insertFailed}:\n{text}");
            Assert.Matches(@"finding \[HIGH, confidence 0\.9\d\] SNAT port race", text);
            Assert.Contains($"report: {report}", text);

            var html = await File.ReadAllTextAsync(report, TestContext.Current.CancellationToken);
            Assert.Contains("<section id=\"snat-race\">", html);
            Assert.Contains("id=\"chart-snat-race\"", html);
            Assert.Contains("<tr><td>pod0</td><td class=\"mono\">10.244.0.10</td>", html);
            Assert.Contains("conntrack insert_failed / drop rise in the node namespace", html);

            // The lab names its namespaces ntsr-<pid>-...: none of this process's may remain.
            var netns = Cmd("ip", "netns", "list");
            Assert.DoesNotContain($"ntsr-{Environment.ProcessId}-", netns);
            Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "nettrace-demo-*")
                .Where(d => Directory.GetCreationTimeUtc(d) > DateTime.UtcNow - clock.Elapsed - TimeSpan.FromSeconds(5)));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task Sample_mode_analyzes_the_built_in_capture_without_the_lab()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await DemoLiveHandler.RunAsync(new DemoOptions { Sample = true, Quiet = true }, stdout, stderr,
            TestContext.Current.CancellationToken);
        Assert.Equal(NetTrace.Cli.Program.ExitOk, code);
        Assert.Contains("synthetic capture made by the project's own generator", stdout.ToString());
        Assert.DoesNotContain("[1/4]", stderr.ToString());
    }

    private static int Number(string text, string pattern)
    {
        var m = Regex.Match(text, pattern);
        Assert.True(m.Success, $"no match for /{pattern}/ in:\n{text}");
        return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static string Cmd(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
