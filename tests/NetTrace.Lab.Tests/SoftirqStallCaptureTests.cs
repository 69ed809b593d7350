using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Lab.SoftirqStall;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>Done-when 2: the sender-side capture the lab writes, analysed, gives back the lab's stalls.</summary>
[Collection("snat-race-lab")]
public class SoftirqStallCaptureTests : IDisposable
{
    // These tests stall a CPU on purpose; other test processes doing the same would add stalls to our measurements.
    private readonly IDisposable _cpuStalls = CpuStallLock.Acquire();
    public void Dispose() => _cpuStalls.Dispose();

    [Fact]
    public async Task Capture_detector_finds_each_lab_stall_on_the_stalled_rx_queue()
    {
        Privileged.Require("root (network namespaces, RPS, tcpdump, eBPF)");
        Privileged.RequireTool("tcpdump");
        var dir = Directory.CreateTempSubdirectory("nt-sirq-cap-").FullName;
        try
        {
            var ct = TestContext.Current.CancellationToken;
            var o = new SoftirqStallOptions(Stalls: 3, Routes: 150_000, GapMs: 700, CaptureDir: dir) { BaselineMs = 700, TailMs = 300, Trace = true, TraceThresholdMs = 3 };   // low: to see every real wait behind a capture window
            var r = await SoftirqStallLabTests.Run(o);
            var cap = Assert.Single(r.Captures);
            Assert.Equal(0, cap.KernelDrops);
            Assert.Equal(3, r.Stalls.Count);

            var result = CaptureAnalyzer.Analyze([cap.Path], AnalyzeSettings.Default, null, ct);
            var windows = result.Stalls!.Stalls;
            var matched = new List<StallWindow>();
            // A stall the prober had nothing in flight for (it got no CPU on a loaded machine) leaves nothing in the
            // capture to find; as in the lab tests, at most one such stall, and it is not judged.
            var inFlight = r.Statistics.PerStall.ToDictionary(x => x.Stall, x => x.StalledProbesInFlight);
            var observed = r.Stalls.Where(st => inFlight[st.Index] >= 4).ToList();
            Assert.True(observed.Count >= r.Stalls.Count - 1, "probes in flight per stall: " + string.Join(", ", inFlight.Values));
            var missed = new List<int>();
            foreach (var st in observed)
            {
                // A window runs from the first held request to the burst that released the backlog: it overlaps the
                // lab's system call (5 ms slack for the capture's and the lab's clock reads). Usually one per stall; on
                // a loaded machine the backlog can outlast the softirq's budget and the rest wait for ksoftirqd/1,
                // which comes back as a second burst: at most two.
                // The stall's windows are the one-queue windows on the stalled queue. Another window at the same time
                // that the capture cannot pin to one queue (seen in CI: 11 ms, 5 TCP probes of several queues, right at
                // a stall's edge) is another delay of this shared machine: it is checked below like every other extra
                // window, against the live tracing.
                var overlapping = windows.Where(w => w.Start <= st.EndUnixSeconds + 0.005 && w.End >= st.StartUnixSeconds - 0.005).ToList();
                var ws = overlapping.Where(w => w.Scope == StallScope.OneCpu && w.RxQueue == r.StalledQueue).ToList();
                // Under a loaded CI run the detector has missed one of the three (2 of ~6 runs, enough probes in
                // flight): tolerated once per run, reported; every window it does find is checked in full.
                if (ws.Count == 0)
                {
                    missed.Add(st.Index);
                    TestContext.Current.SendDiagnosticMessage($"stall {st.Index}: overlapping windows " +
                        string.Join("; ", overlapping.Select(w => $"{w.Scope} q{w.RxQueue} {w.MaxDelayMs} ms")));
                    continue;
                }
                Assert.InRange(ws.Count, 1, 2);
                matched.AddRange(ws);
                Assert.True(ws.Sum(w => w.IcmpDelayed) > 0 && ws.Sum(w => w.TcpDelayed) > 0, $"stall {st.Index}: no ICMP or no TCP held");
                // The capture judged the same probes the lab timed (sender-side capture stamps vs the kernel's own
                // stamps), less the baseline it subtracts: its longest wait is within 2 ms + 10% of the lab's longest
                // latency among the probes sent inside the window.
                foreach (var w in ws)
                {
                    double lab = r.Probes.Where(p => p.Path == ProbePath.Stalled && p.SendUnixSeconds >= w.Start - 0.001 && p.SendUnixSeconds <= w.End)
                        .Max(p => p.LatencyMs ?? 0);
                    Assert.InRange(w.MaxDelayMs, lab - 2 - 0.1 * lab, lab + 2);
                }
            }
            Assert.True(r.Stalls.Count - observed.Count + missed.Count <= 1,
                $"lab stalls not found in the capture: [{string.Join(", ", missed)}], probes in flight per stall: {string.Join(", ", inFlight.Values)}");
            // Other windows must be real waits — this machine is shared while tests run (the VM pauses, kworkers run
            // with BH off): each must coincide with a wait the live eBPF tracing saw at the same time (a NET_RX delay,
            // a packet wait or a machine pause, ±10 ms) on any CPU, the lab's own stalls included (a window at a
            // stall's edge that mixes queues).
            var extra = windows.Except(matched).ToList();
            var live = r.Live!;
            var liveWindows = live.WindowsOnStallCpu.Concat(live.WindowsOnOtherCpus).ToList();
            foreach (var w in extra)
                Assert.True(liveWindows.Any(l => l.Start <= w.End + 0.01 && l.End >= w.Start - 0.01),
                    $"capture window {w.Scope} q{w.RxQueue} {w.MaxDelayMs} ms at {w.Start:F3}-{w.End:F3} has no live stall behind it; live: " +
                    string.Join("; ", liveWindows.Select(l => $"cpu{l.Cpu} {l.Scope} {l.MaxDelayMs} ms at {l.Start:F3}-{l.End:F3}")));
            var finding = Assert.Single(result.Findings, f => f.Kind == Analyzer.Stalls.StallDetector.FindingKind);
            Assert.Contains($"queue {r.StalledQueue}", finding.Title);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
