using System.Globalization;
using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Recordings;

/// <summary>
/// Names the cause of live stall windows: "softirq-stall" for each CPU whose NET_RX was held off while the others
/// ran (story 1: a task kept bottom halves off, its CPU's packets waited), "vm-pause" when every CPU stopped at
/// once (the machine itself paused: not a softirq problem, nothing on the node to fix).
/// </summary>
public static class LiveStallFindings
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="GapWatch">whether CPU timer gaps were watched (scope judged on every CPU's clock, not only on packets)</param>
    /// <param name="GapCoincidences">per CPU: stalls during which that CPU also missed timer samples (interrupts off / vCPU not running)</param>
    public sealed record Context(bool GapWatch, double GapThresholdMs, int CpuCount, IReadOnlyDictionary<int, int> GapCoincidences, double Trust);

    public static IReadOnlyList<Finding> Build(IReadOnlyList<StallWindow> windows, Context ctx)
    {
        var findings = new List<Finding>();
        foreach (var cpu in windows.Where(w => w.Cpu != null && w.Scope != StallScope.AllCpus).GroupBy(w => w.Cpu!.Value)
                     .OrderByDescending(g => g.Max(w => w.MaxDelayMs)))
        {
            findings.Add(SoftirqStall(cpu.Key, cpu.ToList(), Pauses(windows).Count, ctx));
        }
        var pauses = Pauses(windows);
        if (pauses.Count > 0) findings.Add(VmPause(pauses, ctx));
        return findings;
    }

    private static Finding SoftirqStall(int cpu, List<StallWindow> stalls, int pauses, Context ctx)
    {
        var durations = Percentiles.Sorted(stalls.Select(s => s.MaxDelayMs));
        double max = durations[^1], p50 = Percentiles.Of(durations, 0.5);
        var holders = RankedTasks(stalls.Select(s => (s.HeldBy, s.MaxDelayMs)));
        var ranIn = Ranked(stalls.Select(s => (s.RanIn, s.MaxDelayMs)));
        int packets = stalls.Sum(s => s.PacketsDelayed), icmp = stalls.Sum(s => s.IcmpDelayed), tcp = stalls.Sum(s => s.TcpDelayed);
        var scope = stalls.All(s => s.Scope == StallScope.OneCpu) ? StallScope.OneCpu : StallScope.Unknown;

        // Threaded NAPI: no softirq to hold off; the poll is an ordinary kthread that waited for the CPU.
        bool napiThread = holders.Count == 0 && ranIn.Count > 0 && ranIn[0].Name.StartsWith("napi/", StringComparison.Ordinal);
        var title = napiThread
            ? $"Receive processing starved on cpu{cpu}: {stalls.Count} stall(s), max {Ms(max)}, p50 {Ms(p50)}; packets waited for the threaded NAPI thread {ranIn[0].Name} to get the CPU"
            : $"NET_RX held off on cpu{cpu}: {stalls.Count} stall(s), max {Ms(max)}, p50 {Ms(p50)}";
        if (holders.Count > 0) title += $", while {holders[0].Name} held the CPU";
        if (ranIn.Count > 0 && !napiThread) title += $"; backlog ran in {ranIn[0].Name}";
        if (packets > 0) title += $"; {packets} packet(s) waited (ICMP {icmp}, TCP {tcp})";
        title += scope == StallScope.OneCpu ? " — this CPU only" : " — scope unknown";

        var evidence = new List<Evidence>
        {
            new("CPU", "cpu" + cpu.ToString(Inv)),
            new("stalls", stalls.Count.ToString(Inv)),
            new("stall duration", $"max {Ms(max)}, p50 {Ms(p50)}, min {Ms(durations[0])}"),
            new("scope", scope == StallScope.OneCpu
                ? $"one CPU: the other {ctx.CpuCount - 1} CPU(s) kept running " + (ctx.GapWatch ? "(their timer samples continued)" : "(judged from their receive path; the CPU gap watch was off)")
                : "not judged (a single CPU was observed)"),
        };
        foreach (var (name, n) in holders.Take(3))
            evidence.Add(new Evidence("task on the CPU when NET_RX was raised and not served", $"{name}: {n} stall(s)"));
        if (holders.Count == 0)
            evidence.Add(new Evidence("holding task", "not seen: no NET_RX raise→entry delay above the threshold (packets waited in a kthread or with interrupts off)"));
        foreach (var (name, n) in ranIn.Take(3))
            evidence.Add(new Evidence("backlog processed in", $"{name}: {n} stall(s)"));
        // NET_RX raised in task X (usually in an interrupt on top of it) and run in X only after the wait: X had bottom
        // halves off, and the backlog ran when it turned them back on (local_bh_enable / spin_unlock_bh).
        var selfServed = stalls.Count(s => s.HeldBy != null && s.RanIn == "softirq on " + s.HeldBy);
        if (selfServed > 0)
            evidence.Add(new Evidence("ran when the holder re-enabled bottom halves", $"{selfServed} of {stalls.Count} stall(s): the holding task itself " +
                                                                                       "processed the backlog at local_bh_enable — it kept NET_RX off in the kernel"));
        evidence.Add(new Evidence("packets that waited", packets == 0
            ? "none traced (rx-latency probe off, or no packet in flight)"
            : $"{packets} (ICMP {icmp}, TCP {tcp}, other {packets - icmp - tcp})"));
        var flows = stalls.SelectMany(s => s.Flows).Distinct().Take(5).ToList();
        if (flows.Count > 0) evidence.Add(new Evidence("flows that waited", string.Join("; ", flows)));
        if (ctx.GapCoincidences.TryGetValue(cpu, out var gaps) && gaps > 0)
            evidence.Add(new Evidence("stalls with a timer gap on this CPU", $"{gaps}: interrupts were off too, or the host did not run this vCPU"));
        if (pauses > 0)
            evidence.Add(new Evidence("whole-machine pauses (not counted here)", $"{pauses}, see the vm-pause finding"));
        var worst = stalls.MaxBy(s => s.MaxDelayMs)!;
        evidence.Add(new Evidence("worst stall", $"{Ms(worst.MaxDelayMs)} at {FromUnix(worst.Start):HH:mm:ss.fff} UTC" +
                                                 (worst.HeldBy != null ? $", held by {worst.HeldBy}" : "") + (worst.RanIn != null ? $", ran in {worst.RanIn}" : "")));

        return new Finding
        {
            Kind = "softirq-stall",
            Title = title,
            Severity = max >= 10 ? Severity.High : Severity.Medium,
            Confidence = Math.Round((scope == StallScope.OneCpu ? (ctx.GapWatch ? 0.95 : 0.8) : 0.6) * ctx.Trust, 2),
            WindowStart = stalls.Min(s => s.Start),
            WindowEnd = stalls.Max(s => s.End),
            Affects = new[] { "cpu" + cpu.ToString(Inv) }.Concat(flows).ToList(),
            Evidence = evidence,
            Remediation = napiThread
                ? $"This device polls in a NAPI kthread (threaded NAPI), an ordinary thread: while cpu{cpu.ToString(Inv)} ran something " +
                  "busier or of higher priority (a real-time task, a CPU-bound container without limits), the packets waited in the " +
                  "device's ring. Give the NAPI thread the CPU (`chrt -f -p 50 PID`, or pin it with taskset to a CPU without that " +
                  "load), keep real-time or CPU-bound work off the CPUs that receive, or turn threaded NAPI off " +
                  "(`echo 0 > /sys/class/net/DEV/threaded`) so the poll runs as a softirq again."
                : "Packets steered to this CPU (its RX queue's IRQ, or RPS) waited while the named task kept bottom halves " +
                          "(or interrupts) off in the kernel: e.g. a large route table walked by `ip link set ... mtu` or by a reader of " +
                          "/proc/net/ipv6_route, an expensive cgroup file read by a metrics agent. Make that work cheaper or rarer (smaller " +
                          "tables, slower scrape interval), move it off the CPUs that take network interrupts (taskset, cpusets), or spread " +
                          "RX queues/RPS so one CPU's stall does not hold a whole flow set. `nettrace doctor` times the usual slow kernel files.",
        };
    }

    /// <summary>Whole-machine pauses: AllCpus windows that overlap (each CPU's view of the same pause) merged into one.</summary>
    private static List<(double Start, double End, double MaxDelayMs, int Packets)> Pauses(IReadOnlyList<StallWindow> windows)
    {
        var merged = new List<(double Start, double End, double MaxDelayMs, int Packets)>();
        foreach (var w in windows.Where(w => w.Scope == StallScope.AllCpus).OrderBy(w => w.Start))
        {
            if (merged.Count > 0 && w.Start <= merged[^1].End)
            {
                var last = merged[^1];
                merged[^1] = (last.Start, Math.Max(last.End, w.End), Math.Max(last.MaxDelayMs, w.MaxDelayMs), last.Packets + w.PacketsDelayed);
            }
            else merged.Add((w.Start, w.End, w.MaxDelayMs, w.PacketsDelayed));
        }
        return merged;
    }

    private static Finding VmPause(List<(double Start, double End, double MaxDelayMs, int Packets)> pauses, Context ctx)
    {
        var durations = Percentiles.Sorted(pauses.Select(s => s.MaxDelayMs));
        double max = durations[^1], p50 = Percentiles.Of(durations, 0.5);
        var packets = pauses.Sum(p => p.Packets);
        return new Finding
        {
            Kind = "vm-pause",
            Title = $"Every CPU stopped at once {pauses.Count} time(s) (max {Ms(max)}, p50 {Ms(p50)}): the machine paused — not a softirq problem of one CPU",
            Severity = Severity.Low,
            Confidence = Math.Round((ctx.GapWatch ? 0.9 : 0.6) * ctx.Trust, 2),
            WindowStart = pauses.Min(s => s.Start),
            WindowEnd = pauses.Max(s => s.End),
            Affects = ["all CPUs"],
            Evidence =
            [
                new("pauses", pauses.Count.ToString(Inv)),
                new("pause duration", $"max {Ms(max)}, p50 {Ms(p50)}"),
                new("how judged", ctx.GapWatch
                    ? $"every one of the {ctx.CpuCount} CPUs missed its timer samples (gap ≥ {Ms(ctx.GapThresholdMs)}) over the same interval"
                    : $"every one of the {ctx.CpuCount} CPUs seen had a receive stall over the same interval"),
                new("packets that waited", packets.ToString(Inv)),
            ],
            Remediation = "Whole-machine pauses come from the hypervisor (host CPU contention, steal time, live migration) or from a " +
                          "guest saturated so much its timer stops: check steal time (`top`, /proc/stat), the host's load and the VM's CPU " +
                          "limits. Nothing on this node's network path causes them.",
        };
    }

    /// <summary>Holders grouped by program (a cron job's `ip` is a new pid each time): "ip (pid 7)" when one
    /// process, "ip (3 processes: pid 7, 9, 12)" when several.</summary>
    private static List<(string Name, int Count)> RankedTasks(IEnumerable<(string? Task, double DelayMs)> tasks) =>
        tasks.Where(t => t.Task != null).Select(t => (Parsed: ParseTask(t.Task!), t.DelayMs)).GroupBy(t => t.Parsed.Comm)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Sum(t => t.DelayMs)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var pids = g.Select(t => t.Parsed.Pid).Distinct().ToList();
                var name = pids.Count == 1 ? (pids[0] is { } p ? $"{g.Key} (pid {p})" : g.Key)
                    : $"{g.Key} ({pids.Count} processes: pid {string.Join(", ", pids.Take(4))}{(pids.Count > 4 ? ", …" : "")})";
                return (name, g.Count());
            }).ToList();

    private static (string Comm, string? Pid) ParseTask(string task)
    {
        // LiveStallDetector.Task writes "comm (pid N)"; anything else is kept whole.
        var open = task.LastIndexOf(" (pid ", StringComparison.Ordinal);
        return open > 0 && task.EndsWith(')') ? (task[..open], task[(open + 6)..^1]) : (task, null);
    }

    /// <summary>Most stalls first; among equals, the most stalled time (then by name, for a stable order).</summary>
    private static List<(string Name, int Count)> Ranked(IEnumerable<(string? Name, double DelayMs)> names) =>
        names.Where(n => n.Name != null).GroupBy(n => n.Name!).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Sum(n => n.DelayMs))
            .ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())).ToList();

    private static string Ms(double ms) => ms >= 10 ? $"{ms.ToString("0.0", Inv)} ms" : $"{ms.ToString("0.00", Inv)} ms";

    private static DateTime FromUnix(double s) => DateTime.UnixEpoch.AddTicks((long)(s * 1e7));
}
