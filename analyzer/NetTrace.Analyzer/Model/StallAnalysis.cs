namespace NetTrace.Analyzer.Model;

/// <summary>
/// Receive-path stalls: when and where packets waited before the kernel processed them. Filled from captures
/// (latency spikes that come in clusters and end in a burst, attributed to RX queues by the RSS hash) and from
/// live tracing (NET_RX raise→entry delay and per-packet receive latency per CPU, with the tasks involved).
/// Story 1 in the design: a CPU whose softirqs are held off delays every flow that hashes to its queue.
/// </summary>
public sealed record StallAnalysis
{
    public IReadOnlyList<StallWindow> Stalls { get; init; } = [];
    /// <summary>Capture input: every flow's RX queue (Toeplitz RSS) and how stalls fell on the queues.</summary>
    public IReadOnlyList<RxQueueAttribution> Queues { get; init; } = [];
    /// <summary>Live input: per CPU and interval, the worst NET_RX delay — the report's heatmap.</summary>
    public IReadOnlyList<CpuDelaySample> CpuDelay { get; init; } = [];
    /// <summary>Per-packet or per-probe latency points the detector judged (may be downsampled; points inside stalls
    /// are always kept) — the report's latency timeline.</summary>
    public IReadOnlyList<LatencyPoint> Timeline { get; init; } = [];
    /// <summary>The RSS settings used to map flows to queues (capture input), or null.</summary>
    public RssSettingsInfo? Rss { get; init; }
}

public enum StallScope
{
    Unknown,
    /// <summary>One CPU / RX queue stalled while others ran: softirqs held off there (story 1).</summary>
    OneCpu,
    /// <summary>Every CPU stalled at once: a whole-machine (VM) pause, not a softirq problem of one CPU.</summary>
    AllCpus,
}

/// <summary>One stall: a window in which packets waited, with where it hit and who held the CPU.</summary>
public sealed record StallWindow
{
    public required double Start { get; init; }            // Unix seconds: first delayed packet (or the raise)
    public required double End { get; init; }              // Unix seconds: the burst that released the backlog
    /// <summary>The longest wait inside the window in milliseconds (softirq raise→entry, or a packet's extra latency).</summary>
    public required double MaxDelayMs { get; init; }
    /// <summary>"capture" or "live".</summary>
    public required string Source { get; init; }
    public StallScope Scope { get; init; }
    public int? Cpu { get; init; }
    public int? RxQueue { get; init; }
    public int PacketsDelayed { get; init; }
    public int IcmpDelayed { get; init; }
    public int TcpDelayed { get; init; }
    /// <summary>The flows whose packets waited, as display strings (capped; PacketsDelayed has the full count).</summary>
    public IReadOnlyList<string> Flows { get; init; } = [];
    /// <summary>The task on the CPU when NET_RX was raised and not served, e.g. "cat (pid 4242)".</summary>
    public string? HeldBy { get; init; }
    /// <summary>The context that finally ran the backlog: "ksoftirqd/1", "napi/veth0-8193", "softirq on ip (pid 99)".</summary>
    public string? RanIn { get; init; }
}

/// <summary>One RX queue: how many flows the RSS hash sends there and how many of their packets were delayed.</summary>
public sealed record RxQueueAttribution
{
    public required int Queue { get; init; }
    public int Flows { get; init; }
    public int IcmpFlows { get; init; }
    public int TcpFlows { get; init; }
    public long Packets { get; init; }
    public long DelayedPackets { get; init; }
    public int Stalls { get; init; }
}

/// <summary>The worst NET_RX raise→entry delay on one CPU over one interval (live tracing).</summary>
public sealed record CpuDelaySample(int Cpu, double Start, double End, double MaxDelayMs, long Count);

/// <summary>A latency point: a probe's round trip, a handshake's SYN→SYN-ACK or a packet's receive-path latency.</summary>
public sealed record LatencyPoint
{
    public required double Time { get; init; }             // Unix seconds
    public required double LatencyMs { get; init; }
    /// <summary>"icmp", "tcp-syn", "rx-packet".</summary>
    public required string Kind { get; init; }
    public int? RxQueue { get; init; }
    public int? Cpu { get; init; }
    public bool InStall { get; init; }
}

/// <summary>How flows were mapped to RX queues: where the key and indirection table came from.</summary>
public sealed record RssSettingsInfo(string KeySource, int Queues, string IndirectionSource);
