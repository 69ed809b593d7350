namespace NetTrace.CaptureGen;

/// <summary>
/// What to generate. Rates are per connection attempt unless said otherwise. Generation stops scheduling new
/// connections when either target is reached, then lets every started exchange finish, so the totals land a
/// little above the packet target and every connection in the file is whole.
/// </summary>
public sealed record TrafficProfile
{
    public string Name { get; init; } = "custom";
    public ulong Seed { get; init; } = 1;
    public long? TargetPackets { get; init; }
    public int? TargetConnections { get; init; }
    /// <summary>Capture start, Unix seconds.</summary>
    public long StartUnixSeconds { get; init; } = 1_772_442_000; // 2026-03-02 09:00:00 UTC

    public double ConnectionsPerSecond { get; init; } = 3000;
    public int ClientPods { get; init; } = 1500;
    public double Ipv6Share { get; init; } = 0.10;

    public double SynRetransmitOnceRate { get; init; } = 0.02;   // first SYN lost: connect takes ~1 s
    public double SynRetransmitTwiceRate { get; init; } = 0.004; // two SYNs lost: ~3 s (1 s + 2 s back-off)
    public double RefusedRate { get; init; } = 0.01;             // RST,ACK to the SYN
    public double UnansweredRate { get; init; } = 0.004;         // SYN at 0, 1, 3, 7 s, then the caller gives up

    /// <summary>Share of connections from pooled clients: many requests with idle gaps, so they live for seconds.</summary>
    public double PooledShare { get; init; } = 0.12;
    public int PooledMaxRequests { get; init; } = 24;
    /// <summary>Median request and response sizes (log-normal): mostly small API calls, a long tail of big bodies.</summary>
    public double RequestMedianBytes { get; init; } = 250;
    public double ResponseMedianBytes { get; init; } = 700;
    public double DnsLookupShare { get; init; } = 0.30;          // connects preceded by a DNS lookup
    public double DnsLossRate { get; init; } = 0.01;             // query lost, resent after glibc's 5 s timeout

    public int Pingers { get; init; } = 4;
    public double PingIntervalSeconds { get; init; } = 0.2;
    public double PingLossRate { get; init; } = 0.002;
    public double PingLateRate { get; init; } = 0.003;           // a reply 20-200x its usual RTT

    /// <summary>RX queues of the capturing node. A stall holds one queue's packets back, then releases them at once.</summary>
    public int RxQueues { get; init; } = 4;
    public double StallsPerQueuePerMinute { get; init; } = 2;
    public double StallMinMillis { get; init; } = 150;
    public double StallMaxMillis { get; init; } = 900;

    public int SnapLength { get; init; } = 262144;

    /// <summary>The benchmark's busy node: thousands of connects per second, a few live thousand flows.</summary>
    public static TrafficProfile Bench(long packets, ulong seed = 1) =>
        new() { Name = "bench", Seed = seed, TargetPackets = packets };

    /// <summary>
    /// Few, very long connections (thousands of requests each): the packet count grows, the flow count does not, so an
    /// analyzer's allocations per packet here are those of its per-packet path alone.
    /// </summary>
    public static TrafficProfile LongFlows(long packets, ulong seed = 1) => new()
    {
        Name = "longflows", Seed = seed, TargetPackets = packets, ConnectionsPerSecond = 0.5, PooledShare = 1,
        PooledMaxRequests = 20_000, DnsLookupShare = 0, RefusedRate = 0, UnansweredRate = 0,
    };

    /// <summary>
    /// The shipped sample: a few hundred connects over about a minute with the faults made frequent enough to show:
    /// SYNs retransmitted at 1 s and 3 s, refused and unanswered connects, and pings caught in stall clusters.
    /// </summary>
    public static TrafficProfile Demo(ulong seed = 7) => new()
    {
        Name = "demo", Seed = seed, TargetConnections = 300, ConnectionsPerSecond = 5, ClientPods = 24,
        SynRetransmitOnceRate = 0.05, SynRetransmitTwiceRate = 0.02, RefusedRate = 0.03, UnansweredRate = 0.02,
        PooledShare = 0, ResponseMedianBytes = 300, DnsLossRate = 0.03, Pingers = 2, PingIntervalSeconds = 0.2,
        StallsPerQueuePerMinute = 4, RxQueues = 2,
    };
}
