using System.Net;
using NetTrace.Events;

namespace NetTrace.Tracer.Tests.Stalls;

/// <summary>Synthetic live-tracer events at millisecond offsets from a fixed start, as the kernel source emits them.</summary>
internal static class StallEvents
{
    public const ulong T0 = 1_790_000_000_000_000_000;

    public static ulong At(double ms) => T0 + (ulong)(ms * 1e6);

    /// <summary>A NET_RX raise→entry delay: entered at <paramref name="entryMs"/> after waiting <paramref name="delayMs"/>.</summary>
    public static TraceEvent Delay(int cpu, double entryMs, double delayMs, string holder = "ip", uint holderPid = 4242,
        ExecContext context = ExecContext.SoftirqInTask, string ranComm = "ip", uint ranPid = 4242, double thresholdMs = 2) => new()
    {
        SoftirqStall = new SoftirqStallEvent
        {
            Origin = new Origin { Cpu = (uint)cpu, TimeUnixNs = At(entryMs), Comm = ranComm, Pid = ranPid },
            Vector = SoftirqVector.NetRx, Metric = SoftirqMetric.RaiseToEntry, RaiseToEntryNs = (ulong)(delayMs * 1e6),
            Context = context, RaiseComm = holder, RaisePid = holderPid, RaiseKtimeNs = (ulong)((entryMs - delayMs) * 1e6),
            ThresholdNs = (ulong)(thresholdMs * 1e6),
        },
    };

    public static TraceEvent Run(int cpu, double exitMs, double runMs) => new()
    {
        SoftirqStall = new SoftirqStallEvent
        {
            Origin = new Origin { Cpu = (uint)cpu, TimeUnixNs = At(exitMs), Comm = "swapper/1", Pid = 0 },
            Vector = SoftirqVector.NetRx, Metric = SoftirqMetric.RunTime, RunNs = (ulong)(runMs * 1e6),
            Context = ExecContext.SoftirqOnIrqExit,
        },
    };

    /// <summary>A packet received on <paramref name="cpu"/> at <paramref name="receivedMs"/> after waiting <paramref name="latencyMs"/>.</summary>
    public static TraceEvent Packet(int cpu, double receivedMs, double latencyMs, IpProtocol proto = IpProtocol.Icmp,
        string src = "10.1.0.1", string dst = "10.1.0.2", int sport = 77, int dport = 1,
        ExecContext context = ExecContext.SoftirqInTask, string comm = "ip", uint pid = 4242, double thresholdMs = 2) => new()
    {
        RxLatency = new RxLatencyEvent
        {
            Origin = new Origin { Cpu = (uint)cpu, TimeUnixNs = At(receivedMs), Comm = comm, Pid = pid },
            Tuple = EventAddresses.MakeTuple(IPAddress.Parse(src), sport, IPAddress.Parse(dst), dport, proto),
            LatencyNs = (ulong)(latencyMs * 1e6), QueuedCpu = 0, QueuedAt = RxQueuedAt.NetifRx, Context = context,
            ContextTask = $"{comm}[{pid}]", ThresholdNs = (ulong)(thresholdMs * 1e6),
        },
    };

    public static TraceEvent Gap(int cpu, double endMs, double gapMs) => new()
    {
        CpuGap = new CpuGapEvent
        {
            Origin = new Origin { Cpu = (uint)cpu, TimeUnixNs = At(endMs), Comm = "swapper/" + cpu },
            GapNs = (ulong)(gapMs * 1e6), PeriodNs = 2_000_000,
        },
    };

    public static TraceEvent Watch(params uint[] cpus)
    {
        var w = new CpuGapWatch { PeriodNs = 2_000_000, ThresholdNs = 5_000_000 };
        w.Cpus.Add(cpus);
        return new TraceEvent { CpuGapWatch = w };
    }

    public static TraceEvent DelayHistogram(int cpu, double startMs, double endMs, double maxMs, params ulong[] buckets)
    {
        var h = new SoftirqHistogram
        {
            Cpu = (uint)cpu, Vector = SoftirqVector.NetRx, Metric = SoftirqMetric.RaiseToEntry, MaxNs = (ulong)(maxMs * 1e6),
            IntervalStartUnixNs = At(startMs), IntervalEndUnixNs = At(endMs),
        };
        h.Buckets.Add(buckets);
        return new TraceEvent { SoftirqHistogram = h };
    }
}
