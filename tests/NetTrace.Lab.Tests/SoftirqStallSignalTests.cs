using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The real executable, interrupted while it probes and stalls: namespaces and tcpdump must go.</summary>
[Collection("snat-race-lab")]
public class SoftirqStallSignalTests : IDisposable
{
    // These tests stall a CPU on purpose; other test processes doing the same would add stalls to our measurements.
    private readonly IDisposable _cpuStalls = CpuStallLock.Acquire();
    public void Dispose() => _cpuStalls.Dispose();

    [Theory]
    [InlineData(2, "SIGINT")]
    [InlineData(15, "SIGTERM")]
    public async Task Interrupted_lab_removes_everything_it_made(int signal, string name)
    {
        Privileged.Require("root (network namespaces, RPS, tcpdump)");
        Privileged.RequireTool("tcpdump");
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("nt-sirq-sig-").FullName;
        using var child = LabChildProcess.Start(["lab", "softirq-stall", "--stalls", "30", "--routes", "20000", "--capture-dir", dir], ct,
                                                awaitedLine: l => l.StartsWith("probing every", StringComparison.Ordinal));
        try
        {
            string prefix = $"ntsirq";
            string owner = $"-{child.Id}-";
            if (await Task.WhenAny(child.StderrLineSeen, child.WaitForExitAsync(ct), Task.Delay(30_000, ct)) != child.StderrLineSeen)
                Assert.Fail($"lab did not start probing within 30 s (exited: {child.HasExited}): {child.Stderr()}");
            var all = SoftirqStallLeftovers.Namespaces();
            var mine = all.Where(n => n.StartsWith(prefix) && n.Contains(owner)).ToList();
            Assert.True(mine.Count == 2, $"lab {child.Id} namespaces: [{string.Join(' ', mine)}] of [{string.Join(' ', all)}]");
            Assert.True(File.Exists(Path.Combine(dir, "client.pcap")));
            await Task.Delay(1500, ct);   // into the stalls
            child.Signal(signal);
            Assert.True(child.WaitForExit(15_000), $"lab did not exit within 15 s of {name}");
            Assert.Equal(2, child.ExitCode);
            Assert.Contains("interrupted", child.Stderr());
            Assert.DoesNotContain(SoftirqStallLeftovers.Namespaces(), n => n.StartsWith(prefix) && n.Contains(owner));
            Assert.Empty(child.OwnTcpdumps());
        }
        finally
        {
            child.EnsureExited();
            NetTrace.Lab.Netns.LabCleanup.DeleteStale();
            Directory.Delete(dir, recursive: true);
        }
    }
}
