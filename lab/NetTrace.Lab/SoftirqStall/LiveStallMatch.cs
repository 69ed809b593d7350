using NetTrace.Analyzer.Model;
using NetTrace.Tracer.Stalls;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>One lab stall as the lab measured it — the CPU time of its system call (see <see cref="StallSample"/>) and
/// how long its probes were held (the longest stalled-queue probe in flight) — and what the live tracing saw of it.</summary>
/// <param name="LiveDelayMs">the longest wait of the live stall window (NET_RX raise→entry or a packet's wait); null = not seen</param>
/// <param name="Windows">live windows overlapping the stall: one for an MTU change (one BH-off walk), possibly several
/// for an agent read (the seq_file drops and retakes the lock between buffer fills, each time re-walking the table)</param>
public sealed record LiveStallView(int Stall, double LabDurationMs, double LabHeldMs, double? LiveDelayMs, int? Cpu, StallScope? Scope,
    string? HeldBy, string? RanIn, int Windows, int PacketsDelayed, int IcmpDelayed, int TcpDelayed);

/// <summary>
/// The live trace matched against the lab's own measurement. A live window belongs to a lab stall when it is on the
/// same CPU and overlaps the stall's system call (±<see cref="SlackMs"/> for clock conversion). The live wait starts
/// at the first packet that arrives during the stall, as the lab's held probes do, so the two agree within about one
/// probe interval. The call's CPU time is an upper bound only: it also counts the call's work before bottom halves go
/// off (spinning on the RTNL mutex while another namespace is torn down took 11 ms of a 31 ms call here).
/// </summary>
public sealed record LiveStallMatch(
    string Attach,
    IReadOnlyList<LiveStallView> Stalls,
    /// <summary>Every live window on the stall CPU: the lab's and the others.</summary>
    IReadOnlyList<StallWindow> WindowsOnStallCpu,
    IReadOnlyList<StallWindow> OtherWindowsOnStallCpu,
    IReadOnlyList<StallWindow> WindowsOnOtherCpus,
    /// <summary>The live "softirq-stall" finding for the stall CPU, as `nettrace trace` / `analyze` would show it.</summary>
    Finding? Finding,
    IReadOnlyList<Finding> OtherFindings,
    ulong LostEvents)
{
    public const double SlackMs = 2;

    public int Found => Stalls.Count(s => s.LiveDelayMs != null);

    public static LiveStallMatch Build(string attach, StallTraceResult live, IReadOnlyList<StallSample> stalls,
        ProbeStatistics probes, int stallCpu) =>
        Build(attach, live.Stalls.Stalls, live.Findings, live.TotalLost, stalls, probes, stallCpu);

    public static LiveStallMatch Build(string attach, IReadOnlyList<StallWindow> windows, IReadOnlyList<Finding> findings, ulong lost,
        IReadOnlyList<StallSample> stalls, ProbeStatistics probes, int stallCpu)
    {
        var used = new HashSet<StallWindow>(ReferenceEqualityComparer.Instance);
        var views = new List<LiveStallView>();
        foreach (var s in stalls)
        {
            double from = s.StartUnixSeconds - SlackMs / 1000, to = s.EndUnixSeconds + SlackMs / 1000;
            var mine = windows.Where(w => w.Cpu == s.Cpu && w.Start <= to && w.End >= from).ToList();
            foreach (var w in mine) used.Add(w);
            var longest = mine.MaxBy(w => w.MaxDelayMs);
            double held = probes.PerStall.FirstOrDefault(p => p.Stall == s.Index)?.StalledMaxLatencyMs ?? 0;
            views.Add(new LiveStallView(s.Index, s.CpuMs, held, longest?.MaxDelayMs, longest?.Cpu, longest?.Scope, longest?.HeldBy, longest?.RanIn,
                mine.Count, mine.Sum(w => w.PacketsDelayed), mine.Sum(w => w.IcmpDelayed), mine.Sum(w => w.TcpDelayed)));
        }
        var rest = windows.Where(w => !used.Contains(w)).ToList();
        var finding = findings.FirstOrDefault(f => f.Kind == "softirq-stall" && f.Affects.Contains($"cpu{stallCpu}"));
        return new LiveStallMatch(attach, views, windows.Where(w => w.Cpu == stallCpu).ToList(), rest.Where(w => w.Cpu == stallCpu).ToList(), rest.Where(w => w.Cpu != stallCpu).ToList(),
            finding, findings.Where(f => !ReferenceEquals(f, finding)).ToList(), lost);
    }
}
