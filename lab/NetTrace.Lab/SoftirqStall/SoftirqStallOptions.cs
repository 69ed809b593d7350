namespace NetTrace.Lab.SoftirqStall;

/// <summary>What holds bottom halves off on the stalled CPU.</summary>
public enum StallMechanism
{
    /// <summary>An MTU change of a device in the server namespace: the kernel walks every IPv6 route with BH disabled.</summary>
    Mtu,
    /// <summary>A "monitoring agent" reading the tail of /proc/net/ipv6_route: reaching a deep offset re-walks the route
    /// tree from the start with BH disabled (the closest analogue of cadvisor reading memory.stat).</summary>
    Agent,
}

/// <param name="Stalls">stalls to cause, one per MTU change or agent read</param>
/// <param name="Routes">IPv6 routes loaded into the server namespace: the stall length grows with it (~0.2-0.5 ms per 1,000)</param>
/// <param name="StallCpu">the CPU RPS steers the server's received packets to (the "NIC queue's CPU") and the stall runs on</param>
/// <param name="SenderCpu">the CPU the probers run on; the control path's packets are steered here too</param>
/// <param name="GapMs">quiet time between stalls</param>
/// <param name="IntervalMs">probe period: every tick sends one ICMP echo and one TCP SYN on each path</param>
/// <param name="CaptureDir">write client.pcap (the sender's view: late replies) here</param>
public sealed record SoftirqStallOptions(
    int Stalls = 5,
    int Routes = 200_000,
    StallMechanism Mechanism = StallMechanism.Mtu,
    int StallCpu = 1,
    int SenderCpu = 0,
    int GapMs = 1000,
    double IntervalMs = 2,
    string? CaptureDir = null)
{
    /// <summary>Probing before the first stall: the baseline latency comes from here.</summary>
    public int BaselineMs { get; init; } = 1000;

    /// <summary>Probing after the last stall, so late replies arrive and the last gap is seen.</summary>
    public int TailMs { get; init; } = 500;

    /// <summary>Run the live eBPF softirq tracing during the lab and match what it saw to the lab's stalls.</summary>
    public bool Trace { get; init; }

    /// <summary>Live trace: waits at or above this make stall windows. 10 ms keeps this VM's own hiccups (seen:
    /// 5-10 ms waits on a loaded machine) out while the lab's stalls (about 0.2-0.5 ms per 1,000 routes: 40+ ms at
    /// the default) stay far above it. Lower it with --routes below ~50,000.</summary>
    public double TraceThresholdMs { get; init; } = 10;

    /// <summary>TCP port of the server's listener.</summary>
    public int ServerPort { get; init; } = 8080;

    /// <summary>Test hook: runs after the lab is built, before probing (a failure here must still clean up).</summary>
    internal Func<SoftirqStallTopology, Task>? AfterSetup { get; init; }

    public void Validate()
    {
        if (Stalls is < 1 or > 100) throw new ArgumentException("--stalls must be between 1 and 100");
        if (Routes is < 1000 or > 1_000_000) throw new ArgumentException("--routes must be between 1000 and 1000000");
        if (GapMs is < 100 or > 10_000) throw new ArgumentException("--gap-ms must be between 100 and 10000");
        if (IntervalMs is < 0.5 or > 100) throw new ArgumentException("--interval-ms must be between 0.5 and 100");
        if (StallCpu == SenderCpu) throw new ArgumentException("--cpu and --sender-cpu must differ: the stall must hit another CPU than the probers'");
        if (StallCpu < 0 || SenderCpu < 0 || StallCpu >= Environment.ProcessorCount || SenderCpu >= Environment.ProcessorCount)
            throw new ArgumentException($"--cpu and --sender-cpu must be CPUs of this machine (0..{Environment.ProcessorCount - 1})");
        if (StallCpu >= 64 || SenderCpu >= 64) throw new ArgumentException("CPUs above 63 are not supported by the lab's RPS mask");
        if (BaselineMs < 200) throw new ArgumentException("baseline must be at least 200 ms");
        if (TraceThresholdMs is < 0.1 or > 1000) throw new ArgumentException("--trace-threshold-ms must be between 0.1 and 1000");
        // 2 probes per path per tick over the whole run; keep the count (and TCP sockets) bounded.
        double seconds = (BaselineMs + (double)Stalls * GapMs + TailMs) / 1000;
        if (seconds > 120) throw new ArgumentException($"the lab would run {seconds:F0} s; keep --stalls x --gap-ms under 2 minutes");
    }

    public TimeSpan PlannedDuration => TimeSpan.FromMilliseconds(BaselineMs + (double)Stalls * GapMs + TailMs);
}
