using System.Diagnostics;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The real executable, interrupted mid-race: it must remove its namespaces and its capture processes.</summary>
[Collection("snat-race-lab")]
public class LabSignalTests
{
    [Theory]
    [InlineData(2, "SIGINT")]
    [InlineData(15, "SIGTERM")]
    public async Task Interrupted_lab_removes_everything_it_made(int signal, string name)
    {
        Privileged.Require("root (network namespaces, iptables NAT, tcpdump)");
        Privileged.RequireTool("tcpdump");
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("nt-snatrace-sig-").FullName;
        using var child = LabChildProcess.Start(["lab", "snat-race", "--rounds", "20000", "--capture-dir", dir], ct);
        try
        {
            string prefix = $"{SnatRaceNames.Prefix}{child.Id}-";
            // Wait until the race is running (namespaces exist and tcpdump is capturing), then interrupt it.
            var wait = Stopwatch.StartNew();
            while (!SnatRaceCleanup.ListNetns().Any(n => n.StartsWith(prefix)) || !File.Exists(Path.Combine(dir, "post.pcap")))
            {
                if (child.HasExited)
                {
                    child.EnsureExited();   // all of stderr read
                    Assert.Fail($"lab exited ({child.ExitCode}) before it could be interrupted: {child.Stderr()}");
                }
                if (wait.Elapsed > TimeSpan.FromSeconds(30))
                    Assert.Fail($"lab did not start within 30 s: namespaces [{string.Join(' ', SnatRaceCleanup.ListNetns())}], files in {dir}: [{string.Join(' ', Directory.GetFiles(dir))}]");
                await Task.Delay(100, ct);
            }
            await Task.Delay(500, ct);
            child.Signal(signal);
            Assert.True(child.WaitForExit(15_000), $"lab did not exit within 15 s of {name}");
            child.EnsureExited();   // all of stderr read, so a failure below shows what the lab printed
            Assert.True(child.ExitCode == 2, $"exit {child.ExitCode} after {name}, expected 2; stderr: {child.Stderr()}");
            Assert.Contains("interrupted", child.Stderr());
            Assert.DoesNotContain(SnatRaceCleanup.ListNetns(), n => n.StartsWith(prefix));
            Assert.Empty(child.OwnTcpdumps());
        }
        finally
        {
            child.EnsureExited();
            SnatRaceCleanup.RemoveLeftovers();
            Directory.Delete(dir, recursive: true);
        }
    }
}
