using NetTrace.Analyzer.Model;
using NetTrace.Events;

namespace NetTrace.Analyzer.Recordings;

/// <summary>How live receive-path waits are grouped into stall windows.</summary>
public sealed record LiveStallOptions
{
    /// <summary>A NET_RX raise→entry delay, NET_RX run or packet wait at least this long is part of a stall. Null = as
    /// recorded: the threshold the tracer streamed softirq delays at (else packet waits at), else 2 ms.</summary>
    public double? StallThresholdMs { get; init; }
    /// <summary>Waits on one CPU closer than this belong to the same window (a backlog released as one burst).</summary>
    public double MergeGapMs { get; init; } = 5;
    /// <summary>Only stalls of these CPUs are reported (null = every CPU). Scope is still judged over every CPU.</summary>
    public IReadOnlySet<int>? Cpus { get; init; }
    /// <summary>Timeline points kept; points inside stalls are always kept, the rest are thinned evenly.</summary>
    public int MaxTimelinePoints { get; init; } = 5000;
    /// <summary>Flows listed per window (PacketsDelayed has the full count).</summary>
    public int MaxFlowsPerWindow { get; init; } = 10;
}

/// <summary>
/// Turns the live tracer's per-CPU receive-path events into stall windows: NET_RX raise→entry delays (softirqs
/// probe: who held the CPU, where the backlog ran), per-packet receive latency (rx-latency probe: which flows
/// waited, ICMP vs TCP) and CPU timer gaps (gap watch: did every CPU stop at once, i.e. the VM paused). Waits on one
/// CPU that overlap or follow each other closely form one window. Pure: events in, analysis out.
/// </summary>
public sealed class LiveStallDetector(LiveStallOptions? options = null)
{
    private readonly LiveStallOptions _o = options ?? new LiveStallOptions();
    private readonly List<Wait> _waits = [];
    private readonly List<Wait> _gaps = [];
    private readonly List<CpuDelaySample> _cpuDelay = [];
    private readonly HashSet<int> _cpusSeen = [];
    private HashSet<int>? _watchedCpus;
    private double _gapThresholdMs;
    private long _packetEvents, _softirqEvents;
    private ulong _softirqThresholdNs, _packetThresholdNs;

    /// <summary>The threshold this run groups with (see <see cref="LiveStallOptions.StallThresholdMs"/>).</summary>
    public double ThresholdMs => _o.StallThresholdMs
        ?? (_softirqThresholdNs > 0 ? _softirqThresholdNs / 1e6 : _packetThresholdNs > 0 ? _packetThresholdNs / 1e6 : 2);

    private enum WaitKind { SoftirqDelay, SoftirqRun, Packet, CpuGap }

    private sealed record Wait(int Cpu, double Start, double End, double DelayMs, WaitKind Kind)
    {
        public string? Holder { get; init; }
        public string? RanIn { get; init; }
        public string? Flow { get; init; }
        public IpProtocol Protocol { get; init; }
    }

    /// <summary>True once any stall-related event (or histogram) was added.</summary>
    public bool HasData => _softirqEvents + _packetEvents > 0 || _cpuDelay.Count > 0 || _gaps.Count > 0 || _watchedCpus != null;

    public void Add(TraceEvent e)
    {
        switch (e.KindCase)
        {
            case TraceEvent.KindOneofCase.SoftirqStall: AddSoftirq(e.SoftirqStall); break;
            case TraceEvent.KindOneofCase.RxLatency: AddPacket(e.RxLatency); break;
            case TraceEvent.KindOneofCase.CpuGap: AddGap(e.CpuGap); break;
            case TraceEvent.KindOneofCase.CpuGapWatch:
                _watchedCpus = [.. e.CpuGapWatch.Cpus.Select(c => (int)c)];
                _gapThresholdMs = e.CpuGapWatch.ThresholdNs / 1e6;
                break;
            case TraceEvent.KindOneofCase.SoftirqHistogram when e.SoftirqHistogram.Metric == SoftirqMetric.RaiseToEntry:
                var h = e.SoftirqHistogram;
                _cpusSeen.Add((int)h.Cpu);
                _cpuDelay.Add(new CpuDelaySample((int)h.Cpu, h.IntervalStartUnixNs / 1e9, h.IntervalEndUnixNs / 1e9, h.MaxNs / 1e6,
                    (long)h.Buckets.Aggregate(0UL, (a, b) => a + b)));
                break;
            case TraceEvent.KindOneofCase.RxLatencyHistogram:
                _cpusSeen.Add((int)e.RxLatencyHistogram.Cpu);
                break;
        }
    }

    private void AddSoftirq(SoftirqStallEvent s)
    {
        if (s.Vector != SoftirqVector.NetRx || s.Origin == null) return;
        _softirqEvents++;
        _softirqThresholdNs = Math.Max(_softirqThresholdNs, s.ThresholdNs);
        int cpu = (int)s.Origin.Cpu;
        _cpusSeen.Add(cpu);
        double at = s.Origin.TimeUnixNs / 1e9;
        // Recordings from before the metric field: a run time is only set on run events.
        bool run = s.Metric == SoftirqMetric.RunTime || (s.Metric == SoftirqMetric.Unspecified && s.RunNs > 0);
        var ranIn = RanIn(s.Context, s.Origin.Comm, s.Origin.Pid);
        var holder = s.RaiseComm.Length > 0 ? Task(s.RaiseComm, s.RaisePid) : null;
        if (run)
            _waits.Add(new Wait(cpu, at - s.RunNs / 1e9, at, s.RunNs / 1e6, WaitKind.SoftirqRun) { RanIn = ranIn });
        else
            _waits.Add(new Wait(cpu, at - s.RaiseToEntryNs / 1e9, at, s.RaiseToEntryNs / 1e6, WaitKind.SoftirqDelay)
                { Holder = holder, RanIn = ranIn });
    }

    private void AddPacket(RxLatencyEvent r)
    {
        if (r.Origin == null) return;
        _packetEvents++;
        _packetThresholdNs = Math.Max(_packetThresholdNs, r.ThresholdNs);
        int cpu = (int)r.Origin.Cpu;
        _cpusSeen.Add(cpu);
        double at = r.Origin.TimeUnixNs / 1e9;
        _waits.Add(new Wait(cpu, at - r.LatencyNs / 1e9, at, r.LatencyNs / 1e6, WaitKind.Packet)
        {
            RanIn = RanIn(r.Context, r.Origin.Comm, r.Origin.Pid),
            Flow = FlowText(r.Tuple),
            Protocol = r.Tuple?.Protocol ?? IpProtocol.Unspecified,
        });
    }

    private void AddGap(CpuGapEvent g)
    {
        if (g.Origin == null) return;
        int cpu = (int)g.Origin.Cpu;
        _cpusSeen.Add(cpu);
        double at = g.Origin.TimeUnixNs / 1e9;
        _gaps.Add(new Wait(cpu, at - g.GapNs / 1e9, at, g.GapNs / 1e6, WaitKind.CpuGap));
    }

    /// <summary>"ksoftirqd/1", "softirq on ip (pid 4242)", "napi/veth0-8193 (pid 77)", "softirq at irq exit (idle)".</summary>
    public static string RanIn(ExecContext context, string comm, uint pid) => context switch
    {
        ExecContext.Ksoftirqd => comm,
        ExecContext.SoftirqOnIrqExit => "softirq at irq exit (idle)",
        ExecContext.SoftirqInTask when comm.StartsWith("ksoftirqd/", StringComparison.Ordinal) => comm,
        ExecContext.SoftirqInTask => "softirq on " + Task(comm, pid),
        ExecContext.NapiThread => Task(comm, pid),
        ExecContext.Process when comm.StartsWith("napi/", StringComparison.Ordinal) => Task(comm, pid),
        ExecContext.Process => "task " + Task(comm, pid),
        ExecContext.Hardirq => "hardirq",
        _ when comm.StartsWith("ksoftirqd/", StringComparison.Ordinal) => comm,
        _ => "on " + Task(comm, pid),
    };

    /// <summary>"ip (pid 4242)"; the idle task is "idle (swapper/1)".</summary>
    public static string Task(string comm, uint pid) => pid == 0 ? $"idle ({comm})" : $"{comm} (pid {pid})";

    private static string? FlowText(FlowTuple? t)
    {
        if (t == null || t.Saddr.Length == 0) return null;
        var src = EventAddresses.Format(t.Saddr);
        var dst = EventAddresses.Format(t.Daddr);
        return t.Protocol switch
        {
            IpProtocol.Icmp or IpProtocol.Icmpv6 => $"icmp {src} → {dst} id {t.Sport}",
            IpProtocol.Tcp => $"tcp {Endpoint(src, t.Sport)} → {Endpoint(dst, t.Dport)}",
            IpProtocol.Udp => $"udp {Endpoint(src, t.Sport)} → {Endpoint(dst, t.Dport)}",
            _ => $"ip proto {(int)t.Protocol} {src} → {dst}",
        };
    }

    private static string Endpoint(string addr, uint port) => addr.Contains(':') ? $"[{addr}]:{port}" : $"{addr}:{port}";

    /// <summary>The windows, heatmap and timeline, and the findings (softirq-stall per CPU, vm-pause).</summary>
    /// <param name="trust">1, or less when the tracer lost events (lowers the findings' confidence).</param>
    public (StallAnalysis Analysis, IReadOnlyList<Finding> Findings) Finish(double trust = 1.0)
    {
        var windows = new List<StallWindow>();
        var cpus = _watchedCpus ?? _cpusSeen;
        var gapsByCpu = _gaps.GroupBy(g => g.Cpu).ToDictionary(g => g.Key, g => g.OrderBy(x => x.Start).ToList());
        var gapCoincidences = new Dictionary<int, int>();
        var threshold = ThresholdMs;

        foreach (var group in _waits.Where(w => w.DelayMs >= threshold).GroupBy(w => w.Cpu).OrderBy(g => g.Key))
        {
            foreach (var members in Merge(group.OrderBy(w => w.Start)))
            {
                var start = members.Min(w => w.Start);
                var end = members.Max(w => w.End);
                var scope = ScopeOf(group.Key, start, end, cpus, gapsByCpu);
                if (scope != StallScope.AllCpus && GapOn(gapsByCpu, group.Key, start, end)) gapCoincidences[group.Key] = gapCoincidences.GetValueOrDefault(group.Key) + 1;
                windows.Add(Window(group.Key, members, start, end, scope));
            }
        }
        windows.AddRange(PausesWithoutPackets(cpus, windows));
        windows.Sort((a, b) => a.Start.CompareTo(b.Start));

        var reported = _o.Cpus == null ? windows : windows.Where(w => w.Cpu == null || _o.Cpus.Contains(w.Cpu.Value)).ToList();
        var analysis = new StallAnalysis
        {
            Stalls = reported,
            CpuDelay = _o.Cpus == null ? _cpuDelay : _cpuDelay.Where(c => _o.Cpus.Contains(c.Cpu)).ToList(),
            Timeline = Timeline(reported),
        };
        var context = new LiveStallFindings.Context(_watchedCpus != null, _gapThresholdMs, cpus.Count, gapCoincidences, trust);
        return (analysis, LiveStallFindings.Build(reported, context));
    }

    private IEnumerable<List<Wait>> Merge(IEnumerable<Wait> sorted)
    {
        List<Wait>? current = null;
        double end = 0;
        foreach (var w in sorted)
        {
            if (current != null && w.Start <= end + _o.MergeGapMs / 1000)
            {
                current.Add(w);
                end = Math.Max(end, w.End);
                continue;
            }
            if (current != null) yield return current;
            current = [w];
            end = w.End;
        }
        if (current != null) yield return current;
    }

    /// <summary>AllCpus when every CPU stopped together over most of the window: with the gap watch, the timer gaps of
    /// all watched CPUs share an interval covering at least half of it; without, the receive stalls of every CPU seen
    /// do. Any gap merely overlapping is not enough: on a loaded machine another CPU's unrelated 5-10 ms hiccup lands
    /// inside a 50 ms one-CPU stall now and then (seen in CI). One CPU alone cannot tell.</summary>
    private StallScope ScopeOf(int cpu, double start, double end, IReadOnlyCollection<int> cpus, Dictionary<int, List<Wait>> gapsByCpu)
    {
        var threshold = ThresholdMs;
        if (cpus.Count < 2) return StallScope.Unknown;
        IEnumerable<IEnumerable<Wait>> perCpu = _watchedCpus != null
            ? _watchedCpus.Select(c => gapsByCpu.TryGetValue(c, out var g) ? g : (IEnumerable<Wait>)[])
            : cpus.Where(c => c != cpu).Select(c => _waits.Where(w => w.Cpu == c && w.DelayMs >= threshold))
                .Append(_waits.Where(w => w.Cpu == cpu && w.DelayMs >= threshold));
        return CommonSeconds(perCpu, start - Slack, end + Slack) >= 0.5 * (end - start) ? StallScope.AllCpus : StallScope.OneCpu;
    }

    /// <summary>Seconds of [start, end] covered on every CPU at once (each CPU's intervals intersected with the others').</summary>
    private static double CommonSeconds(IEnumerable<IEnumerable<Wait>> perCpu, double start, double end)
    {
        List<(double S, double E)> common = [(start, end)];
        foreach (var intervals in perCpu)
        {
            var next = new List<(double S, double E)>();
            foreach (var w in intervals)
                foreach (var (s, e) in common)
                {
                    double a = Math.Max(s, w.Start), b = Math.Min(e, w.End);
                    if (b > a) next.Add((a, b));
                }
            common = next;
            if (common.Count == 0) return 0;
        }
        // A CPU's own intervals do not overlap each other much; merge anyway so nothing is counted twice.
        double total = 0, reach = double.MinValue;
        foreach (var (s, e) in common.OrderBy(x => x.S))
        {
            if (e <= reach) continue;
            total += e - Math.Max(s, reach);
            reach = e;
        }
        return total;
    }

    private const double Slack = 0.001; // 1 ms: timestamps of different CPUs and probes

    private static bool Overlaps(Wait w, double start, double end) => w.Start <= end + Slack && w.End >= start - Slack;

    private static bool GapOn(Dictionary<int, List<Wait>> gapsByCpu, int cpu, double start, double end) =>
        gapsByCpu.TryGetValue(cpu, out var gaps) && gaps.Any(g => Overlaps(g, start, end));

    private StallWindow Window(int cpu, List<Wait> members, double start, double end, StallScope scope)
    {
        var packets = members.Where(w => w.Kind == WaitKind.Packet).ToList();
        var delays = members.Where(w => w.Kind == WaitKind.SoftirqDelay).ToList();
        // Who held the CPU: the task on it when NET_RX was raised and not served (the longest delay's raise).
        var holder = delays.Where(d => d.Holder != null).MaxBy(d => d.DelayMs)?.Holder;
        // Where the backlog ran: the entry that ended the longest delay, else the context most packets were processed in.
        var ranIn = delays.MaxBy(d => d.DelayMs)?.RanIn
                    ?? packets.Where(p => p.RanIn != null).GroupBy(p => p.RanIn).OrderByDescending(g => g.Count()).FirstOrDefault()?.Key
                    ?? members.MaxBy(m => m.DelayMs)!.RanIn;
        return new StallWindow
        {
            Start = start,
            End = end,
            MaxDelayMs = Math.Round(members.Max(w => w.DelayMs), 3),
            Source = "live",
            Scope = scope,
            Cpu = cpu,
            PacketsDelayed = packets.Count,
            IcmpDelayed = packets.Count(p => p.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6),
            TcpDelayed = packets.Count(p => p.Protocol == IpProtocol.Tcp),
            Flows = packets.Where(p => p.Flow != null).GroupBy(p => p.Flow!).OrderByDescending(g => g.Count())
                .Take(_o.MaxFlowsPerWindow).Select(g => g.Count() > 1 ? $"{g.Key} ({g.Count()} packets)" : g.Key).ToList(),
            HeldBy = holder,
            RanIn = ranIn,
        };
    }

    /// <summary>Intervals in which every watched CPU had a timer gap at once but no receive wait was seen: the VM
    /// paused while no packet was in flight. Listed so pauses and one-CPU stalls can be told apart in the report.</summary>
    private IEnumerable<StallWindow> PausesWithoutPackets(IReadOnlyCollection<int> cpus, List<StallWindow> windows)
    {
        if (_watchedCpus == null || _watchedCpus.Count < 2 || _gaps.Count == 0) yield break;
        var first = _watchedCpus.Min();
        var threshold = ThresholdMs;
        foreach (var g in _gaps.Where(g => g.Cpu == first && g.DelayMs >= threshold).OrderBy(g => g.Start))
        {
            double start = g.Start, end = g.End;
            bool all = true;
            foreach (var c in _watchedCpus.Where(c => c != first))
            {
                var other = _gaps.Where(o => o.Cpu == c && Overlaps(o, start, end)).ToList();
                if (other.Count == 0) { all = false; break; }
                start = Math.Max(start, other.Min(o => o.Start));
                end = Math.Min(end, other.Max(o => o.End));
            }
            if (!all || end <= start) continue;
            // Inside a window already listed: a pause with packets, or a one-CPU stall whose CPU's clock gap is the
            // stall itself (BH off there) while another CPU merely hiccuped — not every CPU stopping at once.
            if (windows.Any(w => w.Start <= end + Slack && w.End >= start - Slack)) continue;
            yield return new StallWindow
            {
                Start = start, End = end, MaxDelayMs = Math.Round((end - start) * 1000, 3), Source = "live", Scope = StallScope.AllCpus,
            };
        }
    }

    private static bool InWindow(StallWindow[] sorted, double t)
    {
        int lo = 0, hi = sorted.Length - 1, last = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid].Start - Slack <= t) { last = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return last >= 0 && t <= sorted[last].End + Slack;
    }

    private List<LatencyPoint> Timeline(IReadOnlyList<StallWindow> windows)
    {
        // Windows of one CPU do not overlap: sorted by start, a binary search finds the one a point may fall in.
        var byCpu = windows.Where(w => w.Cpu != null).GroupBy(w => w.Cpu!.Value)
            .ToDictionary(g => g.Key, g => g.OrderBy(w => w.Start).ToArray());
        var points = _waits.Where(w => w.Kind == WaitKind.Packet && (_o.Cpus == null || _o.Cpus.Contains(w.Cpu)))
            .Select(w => new LatencyPoint
            {
                Time = w.End, LatencyMs = Math.Round(w.DelayMs, 4), Kind = "rx-packet", Cpu = w.Cpu,
                InStall = byCpu.TryGetValue(w.Cpu, out var ws) && InWindow(ws, w.End),
            })
            .OrderBy(p => p.Time).ToList();
        if (points.Count <= _o.MaxTimelinePoints) return points;
        var inStall = points.Count(p => p.InStall);
        var room = Math.Max(0, _o.MaxTimelinePoints - inStall);
        var others = points.Count - inStall;
        var kept = new List<LatencyPoint>(_o.MaxTimelinePoints);
        double step = room == 0 ? double.MaxValue : (double)others / room, next = 0;
        int index = 0;
        foreach (var p in points)
        {
            if (p.InStall) { kept.Add(p); continue; }
            if (index++ >= next) { kept.Add(p); next += step; }
        }
        return kept;
    }
}
