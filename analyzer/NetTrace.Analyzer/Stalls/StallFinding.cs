using System.Globalization;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Stalls;

/// <summary>The finding a person reads: how many stalls, how long, which queue of which host, ICMP vs TCP, the bursts.</summary>
internal static class StallFinding
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Finding? Build(List<Burst> bursts, StallOptions options, double trust)
    {
        if (bursts.Count == 0) return null;
        var oneQueue = bursts.Where(b => b.Scope == StallScope.OneCpu).ToList();
        var pauses = bursts.Where(b => b.Scope == StallScope.AllCpus).ToList();
        int unclear = bursts.Count - oneQueue.Count - pauses.Count;
        var waits = bursts.Select(b => b.MaxExtraMs).Order().ToList();
        var sizes = bursts.Select(b => b.Members.Length).Order().ToList();
        var byQueue = bursts.Where(b => b.Queue is not null)
            .GroupBy(b => (Host: b.HostText, Queue: b.Queue!.Value))
            .OrderByDescending(q => q.Count()).ToList();

        var evidence = new List<Evidence>
        {
            new("stalls (late replies released in one burst)",
                $"{bursts.Count}: {oneQueue.Count} on one RX queue, {pauses.Count} whole-host pause(s), {unclear} unclear"),
            new("longest wait per stall", $"median {Ms(Median(waits))}, max {Ms(waits[^1])}"),
        };
        if (byQueue.Count > 0)
            evidence.Add(new("RX queues hit", string.Join("; ", byQueue.Take(4).Select(q =>
                $"queue {q.Key.Queue} of {q.Key.Host}: {q.Count()} stall(s)")) + (byQueue.Count > 4 ? $"; {byQueue.Count - 4} more" : "")));
        if (oneQueue.Count > 0)
        {
            // The story's clue: pings (hashed on addresses only) all share one queue, so a stall of that queue holds every
            // ping and a stall of another holds none; TCP connects (hashed with ports) are held only when on the queue.
            var icmpQueueStalls = oneQueue.Where(b => b.IcmpDelayed > 0).ToList();
            var otherStalls = oneQueue.Where(b => b.IcmpDelayed == 0).ToList();
            evidence.Add(new("ICMP echoes sent during one-queue stalls",
                $"held in {icmpQueueStalls.Count} stall(s) ({icmpQueueStalls.Sum(b => b.IcmpDelayed)} of {icmpQueueStalls.Sum(b => b.IcmpDelayed + b.IcmpFine)} held); " +
                $"untouched in {otherStalls.Count} ({otherStalls.Sum(b => b.IcmpFine)} passed): one queue per host pair (addresses only)"));
            int tcpHeld = oneQueue.Sum(b => b.TcpDelayed), tcpAll = tcpHeld + oneQueue.Sum(b => b.TcpFine);
            evidence.Add(new("TCP connects sent during one-queue stalls",
                $"{tcpHeld} of {tcpAll} held: only those whose ports hash to the stalled queue"));
        }
        var sides = bursts.Where(b => b.Queue is not null).GroupBy(b => b.Side).ToList();
        if (sides.Count > 0)
            evidence.Add(new("where the packets waited", string.Join("; ", sides.Select(g => g.Key == StalledSide.Responder
                ? $"{g.Count()} stall(s) held requests on arrival at the responder"
                : $"{g.Count()} stall(s) held replies on arrival at the requester"))));
        evidence.Add(new("burst size (late replies per stall)", $"median {Median(sizes):0}, max {sizes[^1]}"));
        evidence.Add(new("delayed probes", $"{bursts.Sum(b => b.IcmpDelayed)} ICMP echo(es), {bursts.Sum(b => b.TcpDelayed)} SYN→SYN-ACK"));
        if (pauses.Count > 0)
            evidence.Add(new("whole-host pauses (every queue at once)", $"{pauses.Count}, longest {Ms(pauses.Max(b => b.MaxExtraMs))}"));
        evidence.Add(new("RSS settings used", options.Rss.ToString()));
        foreach (var b in bursts.OrderByDescending(b => b.MaxExtraMs).Take(3))
            evidence.Add(new($"stall at {DateTimeOffset.FromUnixTimeMilliseconds((long)(b.Start * 1000)):HH:mm:ss.fff}",
                $"{Ms(b.MaxExtraMs)}, {b.Members.Length} held, {Where(b)}"));

        var worst = waits[^1];
        string title = oneQueue.Count > 0 && byQueue.Count > 0
            ? $"{bursts.Count} receive stall(s), mostly on RX queue {byQueue[0].Key.Queue} of {byQueue[0].Key.Host}: replies held up to {Ms(worst)}, then released in a burst"
            : pauses.Count > 0
                ? $"{bursts.Count} stall(s) where every flow waited at once (up to {Ms(worst)}): whole-host pauses, then a burst"
                : $"{bursts.Count} receive stall(s): replies held up to {Ms(worst)}, then released in a burst";
        double confidence = oneQueue.Count > 0 ? 0.85 : pauses.Count > 0 ? 0.7 : 0.5;
        return new Finding
        {
            Kind = StallDetector.FindingKind,
            Title = title,
            Severity = worst >= 100 || bursts.Count >= 5 ? Severity.High : Severity.Medium,
            Confidence = Math.Round(confidence * trust, 2),
            WindowStart = bursts.Min(b => b.Start),
            WindowEnd = bursts.Max(b => b.End),
            Affects = byQueue.Select(q => $"RX queue {q.Key.Queue} of {q.Key.Host}")
                .Concat(bursts.Where(b => b.Queue is null).Select(b => b.HostText).Distinct()).Take(10).ToList(),
            Evidence = evidence,
            Remediation = oneQueue.Count >= pauses.Count
                ? "Packets hashed to one RX queue waited in the ring while NET_RX softirq processing on the CPU serving that " +
                  "queue was held off, then were processed as one burst. Find that CPU (the queue's IRQ in /proc/interrupts " +
                  "and /proc/irq/N/smp_affinity_list, or rps_cpus) and what kept bottom halves disabled there: `nettrace trace` " +
                  "on that node shows per-CPU NET_RX delay and the task holding the CPU; `nettrace doctor` checks kernel files " +
                  "monitoring agents read slowly (memory.stat with zombie memory cgroups, /proc/net/ipv6_route), softnet_stat " +
                  "and IRQ/RPS affinity. Queue numbers are only as right as the RSS key and indirection table given (--ethtool-x)."
                : "Every queue stalled together: the whole host (or VM) paused rather than one CPU's softirq. Check steal time " +
                  "and the hypervisor, CPU saturation of a small VM, and long tick gaps; `nettrace trace` shows whether NET_RX " +
                  "was late on every CPU at once.",
        };
    }

    private static string Where(Burst b) => b.Scope switch
    {
        StallScope.OneCpu => $"RX queue {b.Queue} of {b.HostText} only",
        StallScope.AllCpus => $"every queue (whole-host pause, probes of {b.HostText})",
        _ => b.Queue is int q ? $"RX queue {q} of {b.HostText} (no other traffic to compare)" : "queues unclear",
    };

    private static double Median(List<double> sorted) => sorted[sorted.Count / 2];
    private static double Median(List<int> sorted) => sorted[sorted.Count / 2];
    private static string Ms(double ms) => ms >= 1000 ? (ms / 1000).ToString("0.000", Inv) + " s" : ms.ToString("0.0", Inv) + " ms";
}
