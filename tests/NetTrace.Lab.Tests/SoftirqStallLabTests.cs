using NetTrace.Analyzer.Model;
using NetTrace.Lab.SoftirqStall;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>
/// The softirq-stall lab on real namespaces, RPS and a real kernel route walk. In the lab collection so no other lab
/// runs on the same two CPUs at the same time (it would add its own latency to the probes).
/// </summary>
[Collection("snat-race-lab")]
public class SoftirqStallLabTests : IDisposable
{
    // These tests stall a CPU on purpose; other test processes doing the same would add stalls to our measurements.
    private readonly IDisposable _cpuStalls = CpuStallLock.Acquire();
    public void Dispose() => _cpuStalls.Dispose();

    internal static async Task<SoftirqStallResult> Run(SoftirqStallOptions o)
    {
        Privileged.Require("root (network namespaces, RPS, eBPF)");
        Privileged.RequireTool("ip");
        var r = await SoftirqStallLab.RunAsync(o, TextWriter.Null, TestContext.Current.CancellationToken);
        AssertNothingLeft(r);
        return r;
    }

    internal static void AssertNothingLeft(SoftirqStallResult r)
    {
        var netns = SoftirqStallLeftovers.Namespaces();
        Assert.All(r.Namespaces, n => Assert.DoesNotContain(n, netns));
        var links = SoftirqStallLeftovers.RootLinks();
        Assert.All(r.Devices, d => Assert.DoesNotContain(d, links));
    }

    [Fact]
    public async Task Mtu_changes_stall_only_the_steered_cpu_and_live_tracing_finds_each_stall_with_its_task()
    {
        var o = new SoftirqStallOptions(Stalls: 3, Routes: 150_000, GapMs: 700) { Trace = true, BaselineMs = 700, TailMs = 300 };
        var r = await Run(o);
        var s = r.Statistics;

        // The lab caused what it planned, on the CPU it planned, and measured each stall.
        // The kernel's route counter: the 150k loaded, plus the veths' own link-local routes if they came up meanwhile.
        Assert.InRange(r.RoutesLoaded, 150_000, 150_020);
        Assert.Equal(3, r.Stalls.Count);
        Assert.All(r.Stalls, x => Assert.Equal(1, x.Cpu));
        Assert.All(r.Stalls, x => Assert.Equal(StallDriver.MtuTaskName, x.Task));
        // ~0.2-0.5 ms per 1,000 routes measured here: 150k routes hold BH off for tens of ms, far above the baseline.
        Assert.All(r.Stalls, x => Assert.InRange(x.CpuMs, 10, 500));
        // (Not the p99: other test projects may stall CPU 1 on purpose while this one takes its baseline.)
        Assert.True(s.BaselineP50Ms < 1, $"baseline p50 {s.BaselineP50Ms} ms");
        Assert.Equal(0, s.Lost);

        // The steering is what the lab says: every TCP probe on the stalled queue had its SYN-ACK handled by CPU 1,
        // every probe on the other queues by CPU 0 (SO_INCOMING_CPU, the kernel's own record per socket).
        var tcp = r.Probes.Where(p => p.Kind == ProbeKind.Tcp && p.Cpu != null).ToList();
        Assert.True(tcp.Count > 1000, $"{tcp.Count} answered TCP probes");
        Assert.All(tcp, p => Assert.Equal(p.Path == ProbePath.Stalled ? 1 : 0, p.Cpu));
        Assert.All(r.Probes.Where(p => p.Kind == ProbeKind.Icmp), p => Assert.Equal(ProbePath.Stalled, p.Path));

        // Every stall delays ICMP and the stalled queue's TCP flows by about the stall's length; TCP flows between
        // the same two hosts that hash to other queues (another CPU) are not delayed.
        // A stall during which the prober itself got no CPU (other test processes load both CPUs in CI) had nothing
        // in flight to hold: judge the others, and allow at most one such stall.
        var observed = r.Stalls.Zip(s.PerStall).Where(x => x.Second.StalledProbesInFlight >= 4).ToList();
        Assert.True(observed.Count >= r.Stalls.Count - 1,
            $"only {observed.Count} of {r.Stalls.Count} stalls had stalled-path probes in flight: " +
            string.Join(", ", s.PerStall.Select(x => x.StalledProbesInFlight)));
        foreach (var (st, im) in observed)
        {
            Assert.True(im.StalledIcmpDelayed >= 2, $"stall {st.Index}: {im.StalledIcmpDelayed} ICMP delayed");
            Assert.True(im.StalledTcpDelayed >= 2, $"stall {st.Index}: {im.StalledTcpDelayed} TCP delayed");
            // Held about as long as the walk: never longer than the call, and (RTNL waits aside) most of it.
            Assert.InRange(im.StalledMaxLatencyMs, 0.4 * st.CpuMs, st.DurationMs + 5);
            Assert.True(im.ControlMaxLatencyMs < 0.25 * im.StalledMaxLatencyMs,
                $"stall {st.Index}: control path max {im.ControlMaxLatencyMs} ms vs stalled {im.StalledMaxLatencyMs} ms");
            // The backlog comes back as one burst: most delayed replies within 1 ms of the first.
            Assert.True(im.BurstReplies >= (im.StalledIcmpDelayed + im.StalledTcpDelayed) / 2, $"stall {st.Index}: burst {im.BurstReplies}");
        }
        Assert.True(s.ControlIcmpDelayed + s.ControlTcpDelayed <= (s.StalledIcmpDelayed + s.StalledTcpDelayed) / 10,
            $"control delayed {s.ControlIcmpDelayed}+{s.ControlTcpDelayed}, stalled {s.StalledIcmpDelayed}+{s.StalledTcpDelayed}");

        // Done-when 1: found live, right CPU, the task that caused it, and the same count and lengths.
        var live = r.Live!;
        Assert.Equal(0UL, live.LostEvents);
        Assert.Equal(r.Stalls.Count, live.Found);
        foreach (var v in live.Stalls)
        {
            var lab = r.Stalls[v.Stall];
            Assert.Equal(1, v.Cpu);
            Assert.Equal($"{StallDriver.MtuTaskName} (pid {Environment.ProcessId})", v.HeldBy);
            Assert.Equal($"softirq on {StallDriver.MtuTaskName} (pid {Environment.ProcessId})", v.RanIn);
            // One walk, one window — or two when the backlog outlasted the softirq budget and ksoftirqd/1 ran the rest.
            Assert.InRange(v.Windows, 1, 2);
            Assert.True(v.IcmpDelayed > 0 && v.TcpDelayed > 0, $"stall {v.Stall}: live saw ICMP {v.IcmpDelayed}, TCP {v.TcpDelayed} packets wait");
            // Tolerance. The live wait and the lab's held probes measure the same thing — how long packets that
            // arrived after bottom halves went off waited — each starting at its first such packet (ICMP, TCP or
            // other traffic), so they differ by up to one probe interval, plus clock reads: interval + 2 ms + 10%.
            // Above, 25%: a packet the lab does not time (an ACK, a RST) can be queued right as the walk starts, and on
            // a loaded machine the backlog's tail may wait for ksoftirqd/1 a little longer than the last probe did.
            // The call's CPU time bounds both from above (it also counts the call's work before the walk).
            double held = v.LabHeldMs;
            Assert.InRange(v.LiveDelayMs!.Value, held - o.IntervalMs - 2 - 0.1 * held, held + o.IntervalMs + 2 + 0.25 * held);
            Assert.True(v.LiveDelayMs <= 1.1 * lab.CpuMs + 2, $"stall {v.Stall}: live {v.LiveDelayMs} ms vs call CPU {lab.CpuMs} ms");
        }
        // One CPU stalled, not the machine: the live detector compares the other CPU's timer. A stall that happens to
        // coincide with a pause of the whole VM (this machine is loaded while tests run) may be judged a pause: one.
        Assert.True(live.Stalls.Count(v => v.Scope == StallScope.OneCpu) >= r.Stalls.Count - 1,
            "scopes: " + string.Join(", ", live.Stalls.Select(v => v.Scope)));
        // The live finding names the CPU, the stalls and the holding task.
        var f = live.Finding!;
        Assert.Equal("softirq-stall", f.Kind);
        Assert.Contains("cpu1", f.Affects);
        Assert.Contains(f.Evidence, e => e.Value.Contains(StallDriver.MtuTaskName));
        // Its stall count is the CPU's windows: the lab's stalls plus what the lab did not cause (reported apart);
        // whole-machine pauses go to the vm-pause finding instead.
        var counted = int.Parse(f.Evidence.First(e => e.Label == "stalls").Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(live.WindowsOnStallCpu.Count(w => w.Scope != StallScope.AllCpus), counted);
        Assert.True(counted >= r.Stalls.Count - 1, $"finding counts {counted} stalls, the lab caused {r.Stalls.Count}");
        // Windows the lab did not cause are real waits of this shared machine (other test projects, .NET threads of
        // other processes); they are reported apart and never matched to a lab stall, so they are not asserted on.
        TestContext.Current.SendDiagnosticMessage($"live windows on CPU 1 the lab did not cause: {live.OtherWindowsOnStallCpu.Count}");
    }

    [Fact]
    public async Task A_busy_managed_thread_on_the_stalled_cpu_does_not_hide_the_stalls()
    {
        // The test host runs other tests' managed threads on every CPU. One of them, preempted by the stall driver in
        // the middle of managed code on the stalled CPU, cannot reach a GC safe point until the stall ends, so a GC
        // starting meanwhile holds every managed thread — the prober too — for the rest of the stall, unless the lab
        // keeps this process's threads off that CPU (StallCpuFence). Make such a thread, and frequent GCs, on purpose.
        // Measured without the fence: 1 of 3 runs had a stall that delayed no probe (max 0.1 ms for a 47 ms walk), and
        // with an allocating thread instead 2 of 6 stalls; with it, 7 of 7 runs passed.
        using var stop = new CancellationTokenSource();
        long spins = 0;
        var busy = new Thread(() =>
        {
            NetTrace.Lab.SnatRace.CpuAffinity.PinCurrentThread(1);
            while (!stop.IsCancellationRequested) spins++;
        }) { IsBackground = true, Name = "busy-on-cpu1" };
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested) { GC.Collect(0); Thread.Sleep(5); }
        }) { IsBackground = true, Name = "gc-every-5ms" };
        busy.Start();
        collector.Start();
        SoftirqStallResult r;
        try { r = await Run(new SoftirqStallOptions(Stalls: 6, Routes: 100_000, GapMs: 400) { BaselineMs = 400, TailMs = 300 }); }
        finally { stop.Cancel(); busy.Join(); collector.Join(); }
        var per = r.Statistics.PerStall;
        string all = string.Join(", ", r.Stalls.Zip(per).Select(x =>
            $"#{x.First.Index}: {x.First.CpuMs:F1} ms walk, {x.Second.StalledProbesInFlight} in flight, max {x.Second.StalledMaxLatencyMs:F1} ms"));
        TestContext.Current.SendDiagnosticMessage(all);
        Assert.Equal(6, per.Count);
        // Every stall is seen by the probes and delays them by most of the walk.
        Assert.All(r.Stalls.Zip(per), x =>
        {
            Assert.True(x.Second.StalledProbesInFlight >= 4, all);
            Assert.True(x.Second.StalledMaxLatencyMs >= 0.4 * x.First.CpuMs, all);
        });
    }

    [Fact]
    public async Task Agent_reading_ipv6_route_stalls_the_steered_cpu()
    {
        var r = await Run(new SoftirqStallOptions(Stalls: 2, Routes: 100_000, Mechanism: StallMechanism.Agent, GapMs: 600)
            { BaselineMs = 600, TailMs = 300 });
        Assert.Equal(2, r.Stalls.Count);
        Assert.All(r.Stalls, x => Assert.Equal(StallDriver.AgentTaskName, x.Task));
        Assert.All(r.Stalls, x => Assert.Equal(1, x.Cpu));
        var s = r.Statistics;
        // As above: a stall the starved prober had nothing in flight for is not judged; at most one such.
        var observed = s.PerStall.Where(im => im.StalledProbesInFlight >= 4).ToList();
        Assert.True(observed.Count >= s.PerStall.Count - 1, string.Join(", ", s.PerStall.Select(x => x.StalledProbesInFlight)));
        Assert.All(observed, im => Assert.True(im.StalledIcmpDelayed > 0 && im.StalledTcpDelayed > 0, $"{im}"));
        Assert.All(observed, im => Assert.True(im.StalledMaxLatencyMs > 5, $"{im}"));
        // The other queues' probes are not held while the agent reads. Judged during each stall, like the MTU test:
        // over the whole run a hiccup of this shared machine's other CPU (10 ms seen in CI) can outgrow a short stall.
        Assert.All(observed, im => Assert.True(im.ControlMaxLatencyMs < im.StalledMaxLatencyMs / 4,
            $"stall {im.Stall}: control {im.ControlMaxLatencyMs} ms vs stalled {im.StalledMaxLatencyMs} ms"));
    }

    [Fact]
    public async Task A_failure_after_setup_removes_the_namespaces()
    {
        Privileged.Require("root (network namespaces)");
        string[] made = [];
        var o = new SoftirqStallOptions(Stalls: 1, Routes: 1000)
        {
            AfterSetup = t =>
            {
                made = [t.Client.Name, t.Server.Name];
                Assert.True(t.Client.Exists && t.Server.Exists);
                throw new InvalidOperationException("injected failure");
            },
        };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => SoftirqStallLab.RunAsync(o, TextWriter.Null, TestContext.Current.CancellationToken));
        Assert.Equal("injected failure", e.Message);
        Assert.Equal(2, made.Length);
        var netns = SoftirqStallLeftovers.Namespaces();
        Assert.All(made, n => Assert.DoesNotContain(n, netns));
    }

    [Fact]
    public async Task Cancellation_while_probing_removes_the_namespaces()
    {
        Privileged.Require("root (network namespaces)");
        string[] made = [];
        using var cts = new CancellationTokenSource();
        var o = new SoftirqStallOptions(Stalls: 10, Routes: 1000)
        {
            AfterSetup = t => { made = [t.Client.Name, t.Server.Name]; cts.CancelAfter(700); return Task.CompletedTask; },
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SoftirqStallLab.RunAsync(o, TextWriter.Null, cts.Token));
        var netns = SoftirqStallLeftovers.Namespaces();
        Assert.Equal(2, made.Length);
        Assert.All(made, n => Assert.DoesNotContain(n, netns));
    }
}

internal static class SoftirqStallLeftovers
{
    public static IReadOnlyList<string> Namespaces() =>
        NetTrace.Lab.Netns.CommandRunner.Run("ip", ["netns", "list"]).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', 2)[0]).ToList();

    /// <summary>Interface names in the root namespace.</summary>
    public static IReadOnlyList<string> RootLinks() =>
        NetTrace.Lab.Netns.CommandRunner.Run("ip", ["-o", "link", "show"]).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3)[1].Trim().Split('@')[0]).ToList();
}
