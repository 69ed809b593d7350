using NetTrace.Tracer.Planning;

namespace NetTrace.Tracer.Session;

public sealed record TraceSessionOptions
{
    public ProbeKinds Probes { get; init; } = ProbeKinds.All;
    /// <summary>0 = every network namespace; else only events of this one (inode of /proc/PID/ns/net).</summary>
    public uint NetnsInode { get; init; }
    /// <summary>0 = every process (tgid). Applies to tcpconnect (the connecting task) and tcpsendmsg.</summary>
    public int Pid { get; init; }
    /// <summary>Up to 4 ports; an event matches if its source or destination port is listed. Empty = all.</summary>
    public IReadOnlyList<ushort> Ports { get; init; } = [];
    /// <summary>Softirq delay/run events at or above this (the histograms see every run). Zero = no events.</summary>
    public TimeSpan SoftirqThreshold { get; init; } = TimeSpan.FromMilliseconds(1);
    /// <summary>Received packets that waited at least this long between being queued and netif_receive_skb become
    /// events (the per-CPU histograms see every packet). Zero = histograms only.</summary>
    public TimeSpan RxLatencyThreshold { get; init; } = TimeSpan.FromMilliseconds(2);
    /// <summary>The CPU gap watch samples every online CPU this often (a cpu-clock perf event each) ...</summary>
    public TimeSpan CpuGapPeriod { get; init; } = TimeSpan.FromMilliseconds(2);
    /// <summary>... and reports a CPU whose samples stopped at least this long (it ran nothing, not even interrupts).</summary>
    public TimeSpan CpuGapThreshold { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>Softirq vector to time: 3 = NET_RX, 2 = NET_TX.</summary>
    public int SoftirqVector { get; init; } = 3;
    /// <summary>kfree_skb with reason NOT_SPECIFIED is frequent noise on most kernels.</summary>
    public bool IncludeUnspecifiedDrops { get; init; }
    /// <summary>Drop reasons (names without SKB_DROP_REASON_, e.g. QUEUE_PURGE) the kernel never streams, at most 8.
    /// The default leaves out QUEUE_PURGE: packets still queued when a socket closes, one per short connection,
    /// noise for "why was a packet lost". A name this kernel does not know is an error, except in the default.</summary>
    public IReadOnlyList<string> ExcludedDropReasons { get; init; } = DefaultExcludedDropReasons;
    public static readonly IReadOnlyList<string> DefaultExcludedDropReasons = ["QUEUE_PURGE"];
    /// <summary>Ring buffer per probe object: a power of two, at least a page.</summary>
    public int RingBufferBytes { get; init; } = 1 << 20;
    /// <summary>The kernel wakes the reader only when this much event data is waiting (each wakeup is an IPI,
    /// expensive on VMs); <c>Poll</c> drains the rest when it times out, so delivery is at most one poll timeout
    /// late. 0 = wake for every event (lowest latency, highest cost).</summary>
    public int WakeupBytes { get; init; } = 64 * 1024;
    /// <summary>Attach kinds never to use (e.g. to force the classic tracepoint path in tests).</summary>
    public IReadOnlySet<AttachKind>? DisabledAttachKinds { get; init; }
    /// <summary>Start with the probes that can attach and report the others in <c>Unavailable</c>, instead of failing.</summary>
    public bool AllowPartial { get; init; }
    /// <summary>Taken once by default; pass one to reuse it (or to simulate a kernel in tests).</summary>
    public KernelCapabilities? Capabilities { get; init; }

    internal void Validate()
    {
        if (Ports.Count > 4) throw new ArgumentException("at most 4 ports can be filtered in the kernel", nameof(Ports));
        if (Ports.Any(p => p == 0)) throw new ArgumentException("port 0 cannot be filtered", nameof(Ports));
        if (Pid < 0) throw new ArgumentException("pid must be positive", nameof(Pid));
        if (RingBufferBytes < 4096 || (RingBufferBytes & (RingBufferBytes - 1)) != 0)
            throw new ArgumentException("ring buffer size must be a power of two ≥ 4096", nameof(RingBufferBytes));
        if (WakeupBytes < 0 || WakeupBytes >= RingBufferBytes)
            throw new ArgumentException("wakeup threshold must be ≥ 0 and below the ring buffer size", nameof(WakeupBytes));
        if (RxLatencyThreshold < TimeSpan.Zero) throw new ArgumentException("rx latency threshold must be ≥ 0", nameof(RxLatencyThreshold));
        if (CpuGapPeriod < TimeSpan.FromMicroseconds(100)) throw new ArgumentException("CPU gap period must be ≥ 100 µs", nameof(CpuGapPeriod));
        if (CpuGapThreshold < 2 * CpuGapPeriod) throw new ArgumentException("CPU gap threshold must be at least two periods", nameof(CpuGapThreshold));
        if (SoftirqVector is < 0 or > 9) throw new ArgumentException("softirq vector must be 0..9", nameof(SoftirqVector));
        if (ExcludedDropReasons.Count > 8) throw new ArgumentException("at most 8 drop reasons can be excluded", nameof(ExcludedDropReasons));
        if (Probes == ProbeKinds.None) throw new ArgumentException("no probe selected", nameof(Probes));
    }
}
