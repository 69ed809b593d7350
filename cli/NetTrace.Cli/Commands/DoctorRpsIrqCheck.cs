using NetTrace.Tracer.Conntrack;
using NetTrace.Tracer.Node;

namespace NetTrace.Cli.Commands;

/// <summary>Where received packets are processed: per device, the RX/TX queues, their RPS/XPS steering, and the CPUs
/// the queue interrupts are bound to and actually fire on.</summary>
public static class DoctorRpsIrqCheck
{
    public const string Id = "rps-irq";
    /// <summary>Interrupt counts this concentrated on one CPU, over at least MinInterrupts, mean one CPU does all the work.</summary>
    public const double ConcentratedShare = 0.95;
    public const long MinInterrupts = 1000;
    private const int MaxQuietNames = 12;

    public sealed record Result(IReadOnlyList<NetDeviceQueues> Devices, int OnlineCpus);

    public static DoctorCheck Run(string? netnsPath)
    {
        ProcInterruptsTable? irqs = null;
        var notes = new List<string>();
        try { irqs = ProcInterrupts.Parse(File.ReadAllText(ProcInterrupts.Path)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            notes.Add($"{ProcInterrupts.Path} could not be read ({e.Message}): IRQs not shown");
        }
        IReadOnlyList<NetDeviceQueues> devices;
        try { devices = NetnsSysfs.Run(netnsPath, sys => new NetDeviceQueueReader(sys, "/proc").ReadAll(irqs)); }
        catch (Exception e) when (e is NetnsException or IOException or UnauthorizedAccessException)
        {
            return new DoctorCheck(Id, DoctorStatus.Skipped, "RPS/XPS and IRQ affinity", $"devices could not be read: {e.Message}",
                "Where receive work runs cannot be shown.", "run as root", notes);
        }
        int cpus = irqs?.Cpus.Count ?? Environment.ProcessorCount;
        return Evaluate(new Result(devices, cpus), notes);
    }

    public static DoctorCheck Evaluate(Result r, IReadOnlyList<string> notes)
    {
        var details = new List<string>();
        var problems = new List<string>();
        var notesForSummary = new List<string>();
        var quiet = new List<string>();
        foreach (var d in r.Devices)
        {
            var qirqs = d.QueueIrqs.ToList();
            bool interesting = d.Irqs.Count > 0 || d.HasRps || d.HasXps || d.Rx.Count > 1;
            if (!interesting) { quiet.Add(d.Name); continue; }

            details.Add($"{d.Name}{(d.BusDevice != null ? $" ({d.BusDevice})" : " (virtual)")}: {d.Rx.Count} rx / {d.Tx.Count} tx queues; " +
                        $"RPS {(d.HasRps ? "on" : "off")}; XPS {(d.HasXps ? "on" : d.Tx.All(q => q.Error != null) && d.Tx.Count > 0 ? "n/a" : "off")}");
            foreach (var irq in d.Irqs)
                details.Add($"  IRQ {irq.Irq} {irq.Name}{(irq.IsQueue ? "" : " (not a queue)")}: affinity {List(irq.Affinity)}" +
                            (irq.EffectiveAffinity != null ? $", effective {List(irq.EffectiveAffinity)}" : "") +
                            $"; count {Counts(irq.CountsByCpu)}" +
                            (irq.Error != null ? $" ({irq.Error})" : ""));
            foreach (var q in d.Rx.Where(q => q.Cpus is { Count: > 0 } || q.Error != null || q.FlowCount > 0))
                details.Add($"  {q.Queue}: rps_cpus {List(q.Cpus)}, rps_flow_cnt {q.FlowCount?.ToString() ?? "?"}{(q.Error != null ? $" ({q.Error})" : "")}");
            foreach (var q in d.Tx.Where(q => q.Cpus is { Count: > 0 }))
                details.Add($"  {q.Queue}: xps_cpus {List(q.Cpus)}");

            if (r.OnlineCpus < 2) continue;
            // All queue interrupts bound to one and the same CPU.
            var bound = qirqs.Select(i => i.EffectiveAffinity ?? i.Affinity).ToList();
            if (qirqs.Count >= 2 && bound.All(b => b is { Count: 1 }) && bound.Select(b => b![0]).Distinct().Count() == 1)
                problems.Add($"all {qirqs.Count} queue IRQs of {d.Name} are bound to CPU {bound[0]![0]}");
            else if (qirqs.Count >= 2 && Concentrated(qirqs) is { } c)
                problems.Add($"{c.Share:P0} of {d.Name}'s {c.Total} queue interrupts fire on CPU {c.Cpu}");
            // RPS that sends every received packet of the device to one CPU.
            var rps = d.Rx.Where(q => q.Cpus is { Count: > 0 }).Select(q => q.Cpus!).ToList();
            if (rps.Count > 0 && rps.All(c => c.Count == 1) && rps.Select(c => c[0]).Distinct().Count() == 1)
                problems.Add(rps.Count == d.Rx.Count
                    ? $"RPS steers every received packet of {d.Name} to CPU {rps[0][0]}"
                    : $"RPS steers every packet of {rps.Count} of {d.Name}'s {d.Rx.Count} rx queues to CPU {rps[0][0]}");
            if (!d.IsVirtual && d.Rx.Count == 1 && !d.HasRps)
            {
                // Receive vectors only where the driver names them (virtio "input", "rx"); TX completions do no NET_RX work.
                var rxIrqs = qirqs.Where(i => IsRxName(i.Name)).ToList();
                var where = Concentrated(rxIrqs.Count > 0 ? rxIrqs : qirqs, 1) is { } one ? $"CPU {one.Cpu}" : "the CPU its IRQ fires on";
                notesForSummary.Add($"{d.Name} has 1 rx queue and no RPS: all its receive work runs on {where}");
            }
        }
        if (quiet.Count > 0)
            details.Add($"{quiet.Count} device{(quiet.Count == 1 ? "" : "s")} without IRQs, RPS or XPS: " +
                        string.Join(", ", quiet.Take(MaxQuietNames)) + (quiet.Count > MaxQuietNames ? ", …" : ""));
        details.AddRange(notes.Select(n => "note: " + n));

        const string meaning =
            "A NIC spreads flows over its RX queues by a hash (RSS); each queue's interrupt, and with it the queue's " +
            "NAPI polling in NET_RX softirq, runs on the CPUs in that IRQ's affinity. RPS (rx-N/rps_cpus) re-steers " +
            "received packets to other CPUs in software; XPS (tx-N/xps_cpus) picks the TX queue by sending CPU. A flow " +
            "always hashes to the same queue — all ICMP between two hosts too — so when one CPU's softirq is held off, " +
            "the flows on its queue stall and others do not (story 1). When everything lands on one CPU, every flow " +
            "shares that CPU's stalls and its backlog fills first.";
        const string action =
            "Spread queue IRQs over CPUs (irqbalance, or echo CPUS > /proc/irq/N/smp_affinity_list); use as many RX " +
            "queues as CPUs (ethtool -L DEV combined N); on single-queue devices set rps_cpus to several CPUs " +
            "(e.g. echo f > /sys/class/net/DEV/queues/rx-0/rps_cpus) and rps_flow_cnt with net.core.rps_sock_flow_entries for RFS.";

        if (r.Devices.Count == 0)
            return new DoctorCheck(Id, DoctorStatus.Skipped, "RPS/XPS and IRQ affinity", "no network devices found", meaning, "nothing to do", details, r);
        if (problems.Count > 0)
            return new DoctorCheck(Id, DoctorStatus.Warn, "RPS/XPS and IRQ affinity", string.Join("; ", problems), meaning, action,
                details.Concat(notesForSummary.Select(n => "note: " + n)).ToList(), r);
        string summary = notesForSummary.Count > 0 ? string.Join("; ", notesForSummary)
            : $"{r.Devices.Count - quiet.Count} devices with IRQs or steering; receive work is not confined to one CPU";
        return new DoctorCheck(Id, DoctorStatus.Ok, "RPS/XPS and IRQ affinity", summary, meaning, "nothing to do", details, r);
    }

    private static bool IsRxName(string name) =>
        name.Contains("input", StringComparison.OrdinalIgnoreCase) || name.Contains("rx", StringComparison.OrdinalIgnoreCase);

    private static (int Cpu, double Share, long Total)? Concentrated(IReadOnlyList<DeviceIrq> irqs, long minInterrupts = MinInterrupts)
    {
        var byCpu = new Dictionary<int, long>();
        foreach (var i in irqs)
            foreach (var (cpu, n) in i.CountsByCpu) byCpu[cpu] = byCpu.GetValueOrDefault(cpu) + n;
        long total = byCpu.Values.Sum();
        if (total < minInterrupts) return null;
        var top = byCpu.MaxBy(kv => kv.Value);
        double share = (double)top.Value / total;
        return share >= ConcentratedShare ? (top.Key, share, total) : null;
    }

    /// <summary>Only the CPUs that took this interrupt: on a 128-CPU node the zeros would drown the line.</summary>
    private static string Counts(IReadOnlyDictionary<int, long> byCpu)
    {
        var hit = byCpu.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key).Select(kv => $"cpu{kv.Key} {kv.Value}").ToList();
        if (hit.Count == 0) return "0";
        return string.Join(" ", hit) + (hit.Count < byCpu.Count ? ", other CPUs 0" : "");
    }

    private static string List(IReadOnlyList<int>? cpus) => cpus == null ? "?" : CpuSet.Format(cpus);
}
