using System.Diagnostics;
using System.Runtime.InteropServices;
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
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "nettrace.dll"), "lab", "snat-race", "--rounds", "20000", "--capture-dir", dir })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync(ct);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        try
        {
            string prefix = $"{SnatRaceNames.Prefix}{p.Id}-";
            // Wait until the race is running (namespaces exist and tcpdump is capturing), then interrupt it.
            var wait = Stopwatch.StartNew();
            while (!SnatRaceCleanup.ListNetns().Any(n => n.StartsWith(prefix)) || !File.Exists(Path.Combine(dir, "post.pcap")))
            {
                if (p.HasExited)
                    Assert.Fail($"lab exited ({p.ExitCode}) before it could be interrupted: {await stderr}");
                if (wait.Elapsed > TimeSpan.FromSeconds(30))
                    Assert.Fail($"lab did not start within 30 s: namespaces [{string.Join(' ', SnatRaceCleanup.ListNetns())}], files in {dir}: [{string.Join(' ', Directory.GetFiles(dir))}]");
                await Task.Delay(100, ct);
            }
            await Task.Delay(500, ct);
            Assert.Equal(0, kill(p.Id, signal));
            Assert.True(p.WaitForExit(15_000), $"lab did not exit within 15 s of {name}");
            Assert.Equal(2, p.ExitCode);
            Assert.Contains("interrupted", await stderr);
            Assert.DoesNotContain(SnatRaceCleanup.ListNetns(), n => n.StartsWith(prefix));
            Assert.Empty(Process.GetProcessesByName("tcpdump").Where(t => ParentChainContains(t.Id, p.Id)));
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            SnatRaceCleanup.RemoveLeftovers();
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
