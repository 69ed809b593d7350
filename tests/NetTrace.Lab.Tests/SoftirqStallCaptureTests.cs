using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Lab.SoftirqStall;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>Done-when 2: the sender-side capture the lab writes, analysed, gives back the lab's stalls.</summary>
[Collection("snat-race-lab")]
public class SoftirqStallCaptureTests
{
    [Fact]
    public async Task Capture_detector_finds_each_lab_stall_on_the_stalled_rx_queue()
    {
        Privileged.Require("root (network namespaces, RPS, tcpdump)");
        Privileged.RequireTool("tcpdump");
        var dir = Directory.CreateTempSubdirectory("nt-sirq-cap-").FullName;
        try
        {
            var ct = TestContext.Current.CancellationToken;
            var o = new SoftirqStallOptions(Stalls: 3, Routes: 150_000, GapMs: 700, CaptureDir: dir) { BaselineMs = 700, TailMs = 300 };
            var r = await SoftirqStallLabTests.Run(o);
            var cap = Assert.Single(r.Captures);
            Assert.Equal(0, cap.KernelDrops);
            Assert.Equal(3, r.Stalls.Count);

            var result = CaptureAnalyzer.Analyze([cap.Path], AnalyzeSettings.Default, null, ct);
            var windows = result.Stalls!.Stalls;
            var matched = new List<StallWindow>();
            foreach (var st in r.Stalls)
            {
                // The window runs from the first held request to the burst that released the backlog: it overlaps the
                // lab's system call (5 ms slack for the capture's and the lab's clock reads).
                var w = Assert.Single(windows, w => w.Start <= st.EndUnixSeconds + 0.005 && w.End >= st.StartUnixSeconds - 0.005);
                matched.Add(w);
                Assert.Equal(StallScope.OneCpu, w.Scope);
                Assert.Equal(r.StalledQueue, w.RxQueue);
                Assert.True(w.IcmpDelayed > 0 && w.TcpDelayed > 0, $"stall {st.Index}: ICMP {w.IcmpDelayed}, TCP {w.TcpDelayed}");
                // Same tolerance as the live comparison: the first held probe leaves up to one interval after BH went
                // off, and the capture stamps the reply when it is processed: ±10% and 2 ms around the call's CPU time.
                Assert.InRange(w.MaxDelayMs, 0.9 * st.CpuMs - o.IntervalMs - 2, 1.1 * st.CpuMs + 2);
            }
            // Nothing else is a stall of the lab's queue this big; other windows could only be this machine's own noise.
            var extra = windows.Except(matched).ToList();
            Assert.True(extra.Count <= 1, $"{extra.Count} stall windows the lab did not cause: " +
                string.Join("; ", extra.Select(w => $"{w.Scope} q{w.RxQueue} {w.MaxDelayMs} ms")));
            var finding = Assert.Single(result.Findings, f => f.Kind == Analyzer.Stalls.StallDetector.FindingKind);
            Assert.Contains($"queue {r.StalledQueue}", finding.Title);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
