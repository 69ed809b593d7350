using System.Globalization;
using NetTrace.Tracer.Node;

namespace NetTrace.Cli.Commands;

/// <summary>/proc/net/softnet_stat per CPU: packets processed, dropped because the backlog was full, and
/// time_squeeze (NET_RX ran out of budget with work left) — totals since boot and the rise over a short sample.</summary>
public static class DoctorSoftnetCheck
{
    public const string Id = "softnet";
    private static readonly string[] Sysctls = ["netdev_max_backlog", "netdev_budget", "netdev_budget_usecs"];

    public sealed record Result(
        IReadOnlyList<SoftnetRow> Totals,
        IReadOnlyList<SoftnetDelta>? Delta,
        double IntervalSeconds,
        IReadOnlyDictionary<string, long> Sysctls);

    /// <param name="path">The file to read; a parameter so tests can hand it damaged text.</param>
    public static DoctorCheck Run(TimeSpan interval, CancellationToken ct, string path = SoftnetStat.Path)
    {
        IReadOnlyList<SoftnetRow> before, after;
        IReadOnlyList<SoftnetDelta>? delta = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            before = SoftnetStat.Parse(File.ReadAllText(path));
            after = before;
            if (interval > TimeSpan.Zero)
            {
                ct.WaitHandle.WaitOne(interval);
                after = SoftnetStat.Parse(File.ReadAllText(path));
                delta = SoftnetStat.Delta(before, after);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return new DoctorCheck(Id, DoctorStatus.Skipped, "Receive backlog drops and squeezes (softnet_stat)",
                $"{path} could not be read: {e.Message}", "Per-CPU receive drops cannot be judged.", "nothing to do", []);
        }
        return Evaluate(new Result(after, delta, delta == null ? 0 : clock.Elapsed.TotalSeconds, ReadSysctls()));
    }

    public static DoctorCheck Evaluate(Result r)
    {
        var deltaByCpu = r.Delta?.ToDictionary(d => d.Cpu) ?? [];
        var details = new List<string>();
        details.Add(r.Delta == null ? "totals since boot (no sample interval)" : $"totals since boot (+rise over {r.IntervalSeconds:0.0} s)");
        foreach (var row in r.Totals)
        {
            deltaByCpu.TryGetValue(row.CpuOrRow, out var d);
            string Rise(long? v) => d == null || v == null ? "" : $" (+{N(v.Value)})";
            details.Add($"cpu{row.CpuOrRow,-3} processed {N(row.Processed)}{Rise(d?.Processed)}  dropped {N(row.Dropped)}{Rise(d?.Dropped)}" +
                        $"  time_squeeze {N(row.TimeSqueeze)}{Rise(d?.TimeSqueeze)}" +
                        (row.ReceivedRps is long rps ? $"  rps_ipi {N(rps)}{Rise(d?.ReceivedRps)}" : "") +
                        (row.FlowLimitCount is long fl ? $"  flow_limit {N(fl)}{Rise(d?.FlowLimitCount)}" : "") +
                        (row.BacklogLength is long bl ? $"  backlog {N(bl)}" : ""));
        }
        if (r.Totals.Count > 0 && r.Totals[0].Cpu == null)
            details.Add($"this kernel prints {r.Totals[0].Columns} columns and no CPU numbers: rows are online CPUs in order");
        if (r.Sysctls.Count > 0)
            details.Add("net.core: " + string.Join(", ", r.Sysctls.Select(kv => $"{kv.Key} {kv.Value}")));

        long drops = r.Totals.Sum(x => x.Dropped), squeezes = r.Totals.Sum(x => x.TimeSqueeze);
        long dropsNow = r.Delta?.Sum(x => x.Dropped) ?? 0, squeezesNow = r.Delta?.Sum(x => x.TimeSqueeze) ?? 0;
        var worstDrop = r.Totals.MaxBy(x => x.Dropped);
        var worstSqueeze = r.Totals.MaxBy(x => x.TimeSqueeze);

        const string meaning =
            "dropped: a packet found its CPU's input backlog full (net.core.netdev_max_backlog) and was thrown away; the " +
            "backlog queues packets steered by RPS and those of veth, loopback and non-NAPI drivers, so it fills when that " +
            "CPU's NET_RX softirq cannot keep up or is held off. time_squeeze: NET_RX stopped with work left because it used " +
            "its budget (net.core.netdev_budget packets, or netdev_budget_usecs); the rest waits for the next softirq or " +
            "ksoftirqd — added latency, and NIC ring drops if it keeps happening. Drops in the NIC's own ring are not " +
            "counted here (see `ethtool -S DEV`, rx_missed / no_buffer counters).";
        const string action =
            "When one CPU drops or squeezes, spread receive work (more RSS queues, IRQ affinity, RPS — see rps-irq) and find " +
            "what holds its softirq off (slow-kernel-files; `nettrace trace` shows NET_RX delay per CPU). For drops raise " +
            "net.core.netdev_max_backlog (e.g. 1000 -> 5000); for squeezes raise net.core.netdev_budget (e.g. 300 -> 600) " +
            "and netdev_budget_usecs.";

        if (r.Totals.Count == 0)
            return new DoctorCheck(Id, DoctorStatus.Skipped, "Receive backlog drops and squeezes (softnet_stat)", "no CPU rows",
                meaning, "nothing to do", details, r);
        var status = drops > 0 || dropsNow > 0 || squeezesNow > 0 ? DoctorStatus.Warn : DoctorStatus.Ok;
        var parts = new List<string> { $"{r.Totals.Count} CPUs" };
        parts.Add(drops > 0 ? $"{N(drops)} backlog drops since boot (most on cpu{worstDrop!.CpuOrRow}: {N(worstDrop.Dropped)})" : "no backlog drops");
        if (r.Delta != null && (dropsNow > 0 || squeezesNow > 0))
            parts.Add($"now: +{N(dropsNow)} drops, +{N(squeezesNow)} squeezes in {r.IntervalSeconds:0.0} s");
        parts.Add(squeezes > 0 ? $"time_squeeze {N(squeezes)} since boot (most on cpu{worstSqueeze!.CpuOrRow}: {N(worstSqueeze.TimeSqueeze)})" : "no time_squeeze");
        return new DoctorCheck(Id, status, "Receive backlog drops and squeezes (softnet_stat)", string.Join("; ", parts),
            meaning, status == DoctorStatus.Ok ? "nothing to do" : action, details, r);
    }

    private static IReadOnlyDictionary<string, long> ReadSysctls()
    {
        var d = new Dictionary<string, long>();
        foreach (var name in Sysctls)
            try
            {
                if (long.TryParse(File.ReadAllText($"/proc/sys/net/core/{name}").Trim(), CultureInfo.InvariantCulture, out var v)) d[name] = v;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return d;
    }

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
