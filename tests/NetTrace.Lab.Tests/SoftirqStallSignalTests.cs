using System.Diagnostics;
using System.Runtime.InteropServices;
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
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "nettrace.dll"), "lab", "softirq-stall",
                     "--stalls", "30", "--routes", "20000", "--capture-dir", dir })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderrLines = new List<string>();
        var probing = new TaskCompletionSource();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (stderrLines) stderrLines.Add(e.Data);
            if (e.Data.StartsWith("probing every", StringComparison.Ordinal)) probing.TrySetResult();
        };
        p.BeginErrorReadLine();
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        string Stderr() { lock (stderrLines) return string.Join('\n', stderrLines); }
        try
        {
            string prefix = $"ntsirq";
            string owner = $"-{p.Id}-";
            if (await Task.WhenAny(probing.Task, p.WaitForExitAsync(ct), Task.Delay(30_000, ct)) != probing.Task)
                Assert.Fail($"lab did not start probing within 30 s (exited: {p.HasExited}): {Stderr()}");
            var all = SoftirqStallLeftovers.Namespaces();
            var mine = all.Where(n => n.StartsWith(prefix) && n.Contains(owner)).ToList();
            Assert.True(mine.Count == 2, $"lab {p.Id} namespaces: [{string.Join(' ', mine)}] of [{string.Join(' ', all)}]");
            Assert.True(File.Exists(Path.Combine(dir, "client.pcap")));
            await Task.Delay(1500, ct);   // into the stalls
            Assert.Equal(0, kill(p.Id, signal));
            Assert.True(p.WaitForExit(15_000), $"lab did not exit within 15 s of {name}");
            p.WaitForExit();
            Assert.Equal(2, p.ExitCode);
            Assert.Contains("interrupted", Stderr());
            Assert.DoesNotContain(SoftirqStallLeftovers.Namespaces(), n => n.StartsWith(prefix) && n.Contains(owner));
            Assert.Empty(Process.GetProcessesByName("tcpdump").Where(t => ParentChainContains(t.Id, p.Id)));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            NetTrace.Lab.Netns.LabCleanup.DeleteStale();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool ParentChainContains(int pid, int ancestor)
    {
        for (int i = 0; i < 10 && pid > 1; i++)
        {
            if (pid == ancestor) return true;
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                pid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException) { return false; }
        }
        return false;
    }

    [DllImport("libc", SetLastError = true)] private static extern int kill(int pid, int sig);
}
