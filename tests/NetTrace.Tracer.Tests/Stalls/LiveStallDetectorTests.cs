using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Recordings;
using NetTrace.Events;
using Xunit;
using static NetTrace.Tracer.Tests.Stalls.StallEvents;

namespace NetTrace.Tracer.Tests.Stalls;

/// <summary>Grouping of live receive-path waits into stall windows, and one-CPU stalls vs whole-machine pauses.</summary>
public sealed class LiveStallDetectorTests
{
    private static (StallAnalysis Analysis, IReadOnlyList<Finding> Findings) Detect(IEnumerable<TraceEvent> events, LiveStallOptions? o = null)
    {
        var d = new LiveStallDetector(o);
        foreach (var e in events) d.Add(e);
        return d.Finish();
    }

    [Fact]
    public void A_delay_and_the_packets_released_with_it_are_one_window_with_holder_context_and_flows()
    {
        var (a, findings) = Detect(
        [
            Watch(0, 1),
            Delay(cpu: 1, entryMs: 130, delayMs: 30),
            // The backlog: packets queued during the stall, all processed at its end.
            Packet(1, 130.2, 29, IpProtocol.Icmp, sport: 77, dport: 5),
            Packet(1, 130.3, 20, IpProtocol.Icmp, sport: 77, dport: 6),
            Packet(1, 130.4, 12, IpProtocol.Tcp, src: "10.1.0.1", sport: 40000, dport: 8080),
            Packet(1, 130.5, 3, IpProtocol.Udp, sport: 5353, dport: 53),
            // A second stall on the same CPU, well apart: its own window.
            Delay(cpu: 1, entryMs: 600, delayMs: 25, holder: "cat", holderPid: 99, ranComm: "ksoftirqd/1", ranPid: 22,
                context: ExecContext.Ksoftirqd),
        ]);
        Assert.Equal(2, a.Stalls.Count);
        var w = a.Stalls[0];
        Assert.Equal(1, w.Cpu);
        Assert.Equal(StallScope.OneCpu, w.Scope);
        Assert.Equal("live", w.Source);
        Assert.Equal(30, w.MaxDelayMs, 3);
        Assert.Equal((At(100) - T0) / 1e9, w.Start - T0 / 1e9, 6);
        Assert.Equal("ip (pid 4242)", w.HeldBy);
        Assert.Equal("softirq on ip (pid 4242)", w.RanIn);
        Assert.Equal(4, w.PacketsDelayed);
        Assert.Equal(2, w.IcmpDelayed);
        Assert.Equal(1, w.TcpDelayed);
        Assert.Equal(["icmp 10.1.0.1 → 10.1.0.2 id 77 (2 packets)", "tcp 10.1.0.1:40000 → 10.1.0.2:8080", "udp 10.1.0.1:5353 → 10.1.0.2:53"], w.Flows);
        Assert.Equal("cat (pid 99)", a.Stalls[1].HeldBy);
        Assert.Equal("ksoftirqd/1", a.Stalls[1].RanIn);

        var f = Assert.Single(findings);
        Assert.Equal("softirq-stall", f.Kind);
        Assert.Equal(Severity.High, f.Severity);
        Assert.StartsWith("NET_RX held off on cpu1: 2 stall(s), max 30.0 ms, p50 25.0 ms", f.Title);
        Assert.Contains("this CPU only", f.Title);
        Assert.Contains("4 packet(s) waited (ICMP 2, TCP 1)", f.Title);
        Assert.Contains(f.Evidence, e => e.Label == "task on the CPU when NET_RX was raised and not served" && e.Value == "ip (pid 4242): 1 stall(s)");
        Assert.Contains(f.Evidence, e => e.Label == "backlog processed in" && e.Value == "ksoftirqd/1: 1 stall(s)");
        Assert.Contains(f.Evidence, e => e.Label == "ran when the holder re-enabled bottom halves" && e.Value.StartsWith("1 of 2 stall(s)"));
        // Equal counts rank by stalled time: the 30 ms holder and context come first.
        Assert.Contains("while ip (pid 4242) held the CPU; backlog ran in softirq on ip (pid 4242)", f.Title);
        Assert.Contains(f.Evidence, e => e.Label == "scope" && e.Value.Contains("timer samples continued"));
        Assert.Equal(0.95, f.Confidence);
        Assert.Equal("cpu1", f.Affects[0]);
    }

    [Fact]
    public void Waits_below_the_threshold_are_timeline_points_not_stalls()
    {
        var (a, findings) = Detect([Watch(0, 1), Packet(1, 10, 1.5), Packet(1, 20, 0.8), Delay(1, 30, 1.9)],
            new LiveStallOptions { StallThresholdMs = 2 });
        Assert.Empty(a.Stalls);
        Assert.Empty(findings);
        Assert.Equal(2, a.Timeline.Count);
        Assert.All(a.Timeline, p => Assert.False(p.InStall));
        Assert.All(a.Timeline, p => Assert.Equal("rx-packet", p.Kind));
    }

    [Fact]
    public void Without_a_threshold_option_the_recorded_softirq_threshold_groups()
    {
        // A StallTrace at 5 ms streams packets from 1 ms (timeline points) and softirq delays from 5 ms.
        TraceEvent[] events = [Watch(0, 1), Packet(1, 10, 4, thresholdMs: 1), Delay(1, 100, 6, thresholdMs: 5), Packet(1, 100.1, 5.5, thresholdMs: 1)];
        var d = new LiveStallDetector();
        foreach (var e in events) d.Add(e);
        Assert.Equal(5, d.ThresholdMs);
        var (a, _) = d.Finish();
        var w = Assert.Single(a.Stalls);
        Assert.Equal(1, w.PacketsDelayed);
        Assert.Equal(2, a.Timeline.Count);
        Assert.Equal(3, new LiveStallDetector(new LiveStallOptions { StallThresholdMs = 3 }).ThresholdMs);
    }

    [Fact]
    public void Every_cpu_missing_its_clock_at_once_is_a_vm_pause_not_a_softirq_stall()
    {
        var (a, findings) = Detect(
        [
            Watch(0, 1),
            // Both CPUs ran nothing from 100 to 140 ms; CPU1's NET_RX waited through it.
            Gap(0, 141, 41), Gap(1, 140.5, 40),
            Delay(1, 140.6, 38, holder: "swapper/1", holderPid: 0, context: ExecContext.SoftirqOnIrqExit, ranComm: "swapper/1", ranPid: 0),
            Packet(1, 140.7, 39),
            // A pause with no packet in flight is listed too.
            Gap(0, 900, 25), Gap(1, 902, 24),
            // And a one-CPU stall later: CPU0's clock kept going.
            Gap(1, 1500, 30), Delay(1, 1500.2, 29),
        ]);
        Assert.Equal(3, a.Stalls.Count);
        Assert.Equal(StallScope.AllCpus, a.Stalls[0].Scope);
        Assert.Equal(1, a.Stalls[0].Cpu);
        Assert.Equal(StallScope.AllCpus, a.Stalls[1].Scope);
        Assert.Null(a.Stalls[1].Cpu);
        Assert.Equal(22, a.Stalls[1].MaxDelayMs, 1); // the part of the two gaps that overlaps: 878..900
        Assert.Equal(StallScope.OneCpu, a.Stalls[2].Scope);

        var pause = Assert.Single(findings, f => f.Kind == "vm-pause");
        Assert.Equal(Severity.Low, pause.Severity);
        Assert.Contains("Every CPU stopped at once 2 time(s)", pause.Title);
        Assert.Contains("not a softirq problem", pause.Title);
        var stall = Assert.Single(findings, f => f.Kind == "softirq-stall");
        Assert.Contains("1 stall(s)", stall.Title);
        Assert.Contains(stall.Evidence, e => e.Label == "stalls with a timer gap on this CPU" && e.Value.StartsWith("1:"));
        Assert.Contains(stall.Evidence, e => e.Label == "whole-machine pauses (not counted here)" && e.Value.StartsWith("2"));
    }

    [Fact]
    public void Another_cpus_short_hiccup_inside_a_one_cpu_stall_does_not_make_it_a_pause()
    {
        // Seen in CI: a 47 ms MTU-change stall on CPU1 (its own clock gap too) with a 6 ms gap of CPU0 inside it.
        var (a, _) = Detect(
        [
            Watch(0, 1),
            Gap(1, 1047, 47), Delay(1, 1047, 46), Packet(1, 1047.1, 45),
            Gap(0, 1030, 6),
            // A real pause for contrast: both clocks stopped for most of the wait.
            Gap(0, 2040, 38), Gap(1, 2041, 39), Delay(1, 2041, 40),
        ]);
        Assert.Equal([StallScope.OneCpu, StallScope.AllCpus], a.Stalls.Select(s => s.Scope));
    }

    [Fact]
    public void Without_the_gap_watch_overlapping_stalls_on_every_cpu_seen_are_a_pause()
    {
        var (a, findings) = Detect([Delay(0, 100, 30), Delay(1, 101, 31), Delay(1, 500, 20)]);
        Assert.Equal([StallScope.AllCpus, StallScope.AllCpus, StallScope.OneCpu], a.Stalls.Select(s => s.Scope));
        var stall = Assert.Single(findings, f => f.Kind == "softirq-stall");
        Assert.Equal(0.8, stall.Confidence); // scope judged from packets only
        Assert.Contains(stall.Evidence, e => e.Label == "scope" && e.Value.Contains("gap watch was off"));
        Assert.Contains(findings, f => f.Kind == "vm-pause");
    }

    [Fact]
    public void One_cpu_alone_cannot_tell_the_scope()
    {
        var (a, findings) = Detect([Delay(3, 100, 30)]);
        Assert.Equal(StallScope.Unknown, Assert.Single(a.Stalls).Scope);
        Assert.Contains("scope unknown", Assert.Single(findings).Title);
    }

    [Fact]
    public void Holders_are_grouped_by_program_and_the_cpu_filter_reports_only_the_chosen_cpus()
    {
        var events = new List<TraceEvent> { Watch(0, 1) };
        for (int i = 0; i < 5; i++) events.Add(Delay(1, 100 + 200 * i, 20 + i, holder: "ip", holderPid: (uint)(100 + i)));
        events.Add(Delay(0, 2000, 15, holder: "cat", holderPid: 7));
        var (all, allFindings) = Detect(events);
        Assert.Equal(6, all.Stalls.Count);
        Assert.Equal(2, allFindings.Count);
        var cpu1 = allFindings.Single(f => f.Affects[0] == "cpu1");
        Assert.Contains("while ip (5 processes: pid 100, 101, 102, 103, …) held the CPU", cpu1.Title);

        var (only1, findings1) = Detect(events, new LiveStallOptions { Cpus = new HashSet<int> { 1 } });
        Assert.All(only1.Stalls, s => Assert.Equal(1, s.Cpu));
        Assert.Equal("cpu1", Assert.Single(findings1).Affects[0]);
    }

    [Fact]
    public void A_long_net_rx_run_counts_and_the_heatmap_comes_from_the_interval_histograms()
    {
        var (a, findings) = Detect([Watch(0, 1), Run(1, 50, 12), DelayHistogram(1, 0, 1000, 3.2, 0, 5, 9), DelayHistogram(0, 0, 1000, 0.01, 7)]);
        var w = Assert.Single(a.Stalls);
        Assert.Equal(12, w.MaxDelayMs, 3);
        Assert.Equal("softirq at irq exit (idle)", w.RanIn);
        Assert.Null(w.HeldBy);
        Assert.Contains(Assert.Single(findings).Evidence, e => e.Label == "holding task" && e.Value.StartsWith("not seen"));
        Assert.Equal(2, a.CpuDelay.Count);
        var c1 = a.CpuDelay.Single(c => c.Cpu == 1);
        Assert.Equal(3.2, c1.MaxDelayMs, 6);
        Assert.Equal(14, c1.Count);
        Assert.Equal(1.0, c1.End - c1.Start, 6);
    }

    [Fact]
    public void The_timeline_is_thinned_but_keeps_every_point_inside_a_stall()
    {
        var events = new List<TraceEvent> { Watch(0, 1), Delay(1, 5000, 40) };
        for (int i = 0; i < 10_000; i++) events.Add(Packet(0, i, 1.2));          // background, CPU0
        for (int i = 0; i < 30; i++) events.Add(Packet(1, 5000 + i * 0.01, 30));  // the stall's backlog
        var (a, _) = Detect(events, new LiveStallOptions { MaxTimelinePoints = 500 });
        Assert.InRange(a.Timeline.Count, 450, 500);
        Assert.Equal(30, a.Timeline.Count(p => p.InStall));
        Assert.True(a.Timeline.Zip(a.Timeline.Skip(1)).All(p => p.First.Time <= p.Second.Time), "timeline sorted by time");
        var bg = a.Timeline.Where(p => !p.InStall).Select(p => p.Time).ToList();
        Assert.True(bg[^1] - bg[0] > 9.0, "thinning spreads over the whole run");
    }

    [Theory]
    [InlineData(ExecContext.Ksoftirqd, "ksoftirqd/3", 31u, "ksoftirqd/3")]
    [InlineData(ExecContext.SoftirqInTask, "cadvisor", 812u, "softirq on cadvisor (pid 812)")]
    [InlineData(ExecContext.SoftirqOnIrqExit, "swapper/2", 0u, "softirq at irq exit (idle)")]
    [InlineData(ExecContext.NapiThread, "napi/ve1-8193", 77u, "napi/ve1-8193 (pid 77)")]
    [InlineData(ExecContext.Process, "napi/ve1-8193", 77u, "napi/ve1-8193 (pid 77)")]
    [InlineData(ExecContext.Unspecified, "ksoftirqd/0", 15u, "ksoftirqd/0")]
    [InlineData(ExecContext.Unspecified, "curl", 5u, "on curl (pid 5)")]
    public void Contexts_are_named(ExecContext context, string comm, uint pid, string expected) =>
        Assert.Equal(expected, LiveStallDetector.RanIn(context, comm, pid));

    [Fact]
    public void A_recording_of_live_events_gives_the_result_stalls_and_findings()
    {
        var output = new RecordingAnalysis("rec.ntrace");
        foreach (var e in new[] { new TraceEvent { Header = new SessionHeader { Host = "h" } }, Watch(0, 1), Delay(1, 100, 30), Packet(1, 100.1, 29),
                     new TraceEvent { End = new SessionEnd { EndTimeUnixNs = At(1000) } } })
            output.Add(e);
        var r = output.Finish();
        Assert.NotNull(r.Stalls);
        Assert.Single(r.Stalls!.Stalls);
        Assert.Contains(r.Findings, f => f.Kind == "softirq-stall");
        Assert.Equal(FromNs(At(100) - 30_000_000), r.FirstTime!.Value, TimeSpan.FromMilliseconds(1));
    }

    private static DateTimeOffset FromNs(ulong ns) => DateTimeOffset.UnixEpoch.AddTicks((long)(ns / 100));
}
