using NetTrace.Analyzer.Model;
using NetTrace.Lab.SoftirqStall;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The lab's judgement of probes against stalls, on hand-made samples with known answers.</summary>
public class SoftirqStallStatisticsTests
{
    private static ProbeSample P(ProbePath path, ProbeKind kind, double send, double? ms) => new(path, kind, 0, send, ms);

    [Fact]
    public void Probes_in_flight_during_a_stall_and_late_are_delayed_the_others_are_not()
    {
        var probes = new List<ProbeSample>();
        // Baseline: 100 probes per path and kind at 0.1 ms, from t=0 to t=0.99.
        for (int i = 0; i < 100; i++)
            foreach (var path in new[] { ProbePath.Stalled, ProbePath.Control })
                foreach (var kind in new[] { ProbeKind.Icmp, ProbeKind.Tcp })
                    probes.Add(P(path, kind, i * 0.0099, 0.1));
        // A 40 ms stall at t=1.000: stalled-path probes sent during it all come back at 1.040 (one burst).
        var stall = new StallSample(0, 1.000, 45, 40, 1, "nt-stall-mtu", 1, 2);
        for (int i = 0; i < 10; i++)
        {
            double send = 1.000 + i * 0.004;
            probes.Add(P(ProbePath.Stalled, ProbeKind.Icmp, send, (1.040 - send) * 1000 + 0.05));
            probes.Add(P(ProbePath.Stalled, ProbeKind.Tcp, send, (1.040 - send) * 1000 + 0.08));
            probes.Add(P(ProbePath.Control, ProbeKind.Icmp, send, 0.1));
        }
        // One late probe far from any stall (a VM pause), one never answered.
        probes.Add(P(ProbePath.Control, ProbeKind.Tcp, 3.0, 30));
        probes.Add(P(ProbePath.Stalled, ProbeKind.Icmp, 3.1, null));

        var s = ProbeStatistics.Compute(probes, [stall]);
        Assert.Equal(0.1, s.BaselineP50Ms, 6);
        Assert.Equal(0.1, s.BaselineP99Ms, 6);
        Assert.Equal(1.1, s.DelayedThresholdMs, 6);
        var im = Assert.Single(s.PerStall);
        // The probe sent at 1.036 waited 4 ms: still over the threshold. All 10 of each kind are delayed.
        Assert.Equal(10, im.StalledIcmpDelayed);
        Assert.Equal(10, im.StalledTcpDelayed);
        Assert.Equal(0, im.ControlIcmpDelayed + im.ControlTcpDelayed);
        Assert.Equal(20, im.BurstReplies);
        Assert.Equal(20, im.StalledProbesInFlight);
        Assert.Equal(40.08, im.StalledMaxLatencyMs, 3);
        Assert.Equal(1, s.DelayedOutsideStalls);
        Assert.Equal(1, s.Lost);
        Assert.Equal(29.9, s.ControlMaxExtraMs, 3);
    }

    [Fact]
    public void Live_windows_are_matched_to_the_stall_on_the_same_cpu_only()
    {
        var stalls = new[] { new StallSample(0, 10.0, 50, 41, 1, "nt-stall-mtu", 7, 8), new StallSample(1, 11.0, 44, 42, 1, "nt-stall-mtu", 7, 8) };
        StallWindow W(int cpu, double start, double end, double ms, string? held = null) => new()
        {
            Start = start, End = end, MaxDelayMs = ms, Source = "live", Cpu = cpu, Scope = StallScope.OneCpu, HeldBy = held,
            RanIn = held == null ? null : "softirq on " + held, PacketsDelayed = 4, IcmpDelayed = 2, TcpDelayed = 2,
        };
        var windows = new[]
        {
            W(1, 10.002, 10.040, 38, "nt-stall-mtu (pid 7)"),
            W(0, 10.002, 10.040, 38),                          // another CPU at the same time: not this stall
            W(1, 12.5, 12.52, 20, "kworker/1:1 (pid 55)"),     // the stall CPU, outside both stalls
        };
        Finding F(string cpu) => new()
        {
            Kind = "softirq-stall", Title = cpu, Severity = Severity.High, Confidence = 0.9, Remediation = "-", Affects = [cpu],
        };
        var finding = F("cpu1");
        var held = new ProbeStatistics(0.1, 0.2, 1.1, [new StallImpact(0, 10, 10, 0, 0, 39, 0.1, 20), new StallImpact(1, 0, 0, 0, 0, 0, 0, 0)],
            10, 10, 0, 0, 0, 39, 0.1, 100, 0, []);
        var m = LiveStallMatch.Build("test", windows, [finding, F("cpu0")], 0, stalls, held, 1);
        Assert.Equal(39, m.Stalls[0].LabHeldMs);
        Assert.Equal(1, m.Found);
        Assert.Equal(38, m.Stalls[0].LiveDelayMs);
        Assert.Equal("nt-stall-mtu (pid 7)", m.Stalls[0].HeldBy);
        Assert.Equal("softirq on nt-stall-mtu (pid 7)", m.Stalls[0].RanIn);
        Assert.Equal(1, m.Stalls[0].Windows);
        Assert.Null(m.Stalls[1].LiveDelayMs);
        Assert.Equal(0, m.Stalls[1].Windows);
        Assert.Single(m.OtherWindowsOnStallCpu);
        Assert.Single(m.WindowsOnOtherCpus);
        Assert.Same(finding, m.Finding);
        Assert.Single(m.OtherFindings);
    }
}
