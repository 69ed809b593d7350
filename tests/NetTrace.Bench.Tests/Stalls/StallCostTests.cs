using System.Diagnostics;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Stalls;
using NetTrace.CaptureGen.Stall;
using Xunit;

namespace NetTrace.Bench.Tests.Stalls;

/// <summary>
/// The detector runs after flow analysis on the handshakes and echoes: what it adds is bounded per probe, not per packet.
/// Allocation is measured (it is deterministic); time is printed for the record, not asserted (shared CI cores).
/// </summary>
public class StallCostTests(ITestOutputHelper output)
{
    [Fact]
    public void Detection_allocates_a_bounded_amount_per_probe()
    {
        using var c = new StallCapture(new StallScenario { Seed = 31, DurationSeconds = 30, ConnectsPerSecond = 1500 });
        (long Bytes, double CpuMs, int Probes) Run(bool on)
        {
            GC.Collect();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            long before = GC.GetAllocatedBytesForCurrentThread();
            var r = CaptureAnalyzer.Analyze([c.Path], new AnalyzeSettings { Stalls = new StallOptions { Enabled = on } }, null, CancellationToken.None);
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            return (bytes, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds, r.Handshakes.Count + r.IcmpEchoes.Count);
        }
        Run(true); // warm up
        var off = Run(false);
        var on = Run(true);
        double perProbe = (double)(on.Bytes - off.Bytes) / on.Probes;
        output.WriteLine($"{c.Truth.Frames:N0} frames, {on.Probes:N0} probes: analysis {off.CpuMs:F0} ms CPU without stall detection, {on.CpuMs:F0} ms with; " +
                         $"detection allocated {(on.Bytes - off.Bytes) / 1e6:F1} MB = {perProbe:F0} B per probe");
        Assert.InRange(perProbe, 1, 400);
    }
}
