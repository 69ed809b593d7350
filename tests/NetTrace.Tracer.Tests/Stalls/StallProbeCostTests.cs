using NetTrace.Tracer.Node;
using NetTrace.TestSupport;
using NetTrace.Tracer.Stalls;
using NetTrace.Tracer.Tests.Kernel;
using Xunit;

namespace NetTrace.Tracer.Tests.Stalls;

/// <summary>What the stall probes cost in the kernel under a bounded namespace load: every received packet runs the
/// rx-latency stamp and measure programs, every softirq the softirq programs. Numbers go to the test output.</summary>
[Collection("kernel-bpf")]
public sealed class StallProbeCostTests(ITestOutputHelper output)
{
    private const int Datagrams = 100_000;

    [Fact]
    public void The_per_packet_programs_stay_cheap_and_every_stall_program_runs()
    {
        Privileged.Require("root + BPF + network namespaces");
        Privileged.RequireTool("bpftool");
        using var lab = StallLab.Create(routes: 0);
        using var stats = BpfRunStats.Enable();
        StallTraceResult result;
        TimeSpan elapsed;
        long backlogDrops, vethDrops;
        IReadOnlyList<BpfRunStats.Program> programs;
        using (var trace = StallTrace.Start(new StallTraceOptions
        {
            NetnsInode = (uint)NetTrace.Tracer.Trace.NetnsTarget.InodeOf(lab.ReceiverNetnsPath),
            StallThreshold = TimeSpan.FromMilliseconds(5),
        }))
        {
            var softnetBefore = SoftnetStat.Parse(File.ReadAllText(SoftnetStat.Path));
            long vethDropsBefore = lab.ReceiverRxDropped();
            elapsed = lab.SendUdpFlood(Datagrams);
            Thread.Sleep(200);
            backlogDrops = SoftnetStat.Delta(softnetBefore, SoftnetStat.Parse(File.ReadAllText(SoftnetStat.Path))).Sum(d => d.Dropped);
            vethDrops = lab.ReceiverRxDropped() - vethDropsBefore;
            // CPU1 may still be working off its backlog on a loaded machine (ksoftirqd waits for a CPU like any
            // thread): read until every stamped packet was measured or the count stops moving for a second.
            programs = BpfRunStats.Read("rxlat_", "softirqs_", "cpugaps_");
            for (var settle = System.Diagnostics.Stopwatch.StartNew(); settle.Elapsed < TimeSpan.FromSeconds(5);)
            {
                long Runs(IReadOnlyList<BpfRunStats.Program> ps, string prefix) =>
                    (long)ps.Single(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)).RunCount;
                if (Runs(programs, "rxlat_receive_") >= Runs(programs, "rxlat_netif_rx")) break;
                Thread.Sleep(250);
                var again = BpfRunStats.Read("rxlat_", "softirqs_", "cpugaps_");
                bool moved = Runs(again, "rxlat_receive_") != Runs(programs, "rxlat_receive_");
                programs = again;
                if (!moved && settle.Elapsed > TimeSpan.FromSeconds(1)) break;
            }
            result = trace.Stop();
        }
        output.WriteLine($"{Datagrams} datagrams in {elapsed.TotalMilliseconds:0} ms ({Datagrams / elapsed.TotalSeconds:0} /s)");
        foreach (var p in programs.OrderBy(p => p.Name))
            output.WriteLine($"{p.Name,-16} runs {p.RunCount,9}  total {p.RunTimeNs / 1e6,8:0.0} ms  avg {p.AverageNs,6:0} ns  recursion misses {p.RecursionMisses}");
        var rx = programs.Where(p => p.Name.StartsWith("rxlat_", StringComparison.Ordinal)).ToList();
        var perPacket = rx.Where(p => p.Name.StartsWith("rxlat_netif_rx", StringComparison.Ordinal) || p.Name.StartsWith("rxlat_receive", StringComparison.Ordinal)
                                      || p.Name.StartsWith("rxlat_veth_xmi", StringComparison.Ordinal))
            .Sum(p => (double)p.RunTimeNs) / Datagrams;
        output.WriteLine($"rx-latency programs per datagram: {perPacket:0} ns; lost {result.TotalLost}");

        Assert.Equal(0UL, result.TotalLost);
        // Every program of the three probes ran: stamp, veth stamp, measure, context, softirq timing, clock samples.
        foreach (var prefix in new[] { "rxlat_netif_rx", "rxlat_receive_", "rxlat_veth_xmi", "rxlat_rx_entry", "softirqs_raise", "softirqs_entry", "cpugaps_sample" })
            Assert.Contains(programs, p => p.Name.StartsWith(prefix, StringComparison.Ordinal) && p.RunCount > 0);
        // Each datagram was measured, except those the kernel dropped before netif_receive_skb (softnet_stat, the
        // veth's rx_dropped). Measured here: 0-0.8% of the flood never ran the measure program although nothing was
        // dropped and no program recursion was missed (bpftool recursion_misses 0); 1.0-3.0% in loaded CI runs. A manual
        // run with the receiver counting (UdpInDatagrams 100,000) agreed: the kernel delivered every datagram, the
        // measure side saw 99.6%. Not explained yet (an open item in the tracer README), so 5% slack here:
        // the test still fails when the measure program misses a real share of the traffic.
        var measured = programs.Single(p => p.Name.StartsWith("rxlat_receive_", StringComparison.Ordinal)).RunCount;
        output.WriteLine($"measured {measured}, backlog drops {backlogDrops} (softnet_stat), {vethDrops} (ve1 rx_dropped)");
        Assert.True((long)measured + backlogDrops + vethDrops >= Datagrams * 0.95, $"measured {measured} + drops {backlogDrops}+{vethDrops} of {Datagrams}");
        // Generous bounds for a shared 2-CPU VM (measured far lower): a hash update or lookup+delete, no header reads.
        Assert.All(rx, p => Assert.True(p.AverageNs < 3000, $"{p.Name} averages {p.AverageNs:0} ns per run"));
        Assert.True(perPacket < 6000, $"rx-latency costs {perPacket:0} ns per datagram");
        Assert.Empty(BpfLinks.OwnLinkIds());
    }
}
