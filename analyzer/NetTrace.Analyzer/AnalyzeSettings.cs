namespace NetTrace.Analyzer;

/// <summary>How an analysis run reads and judges its inputs.</summary>
public sealed record AnalyzeSettings
{
    /// <summary>"auto" picks the reader by content; "native" forces our pcap/pcapng readers; "libpcap" uses SharpPcap.</summary>
    public string Reader { get; init; } = "auto";
    /// <summary>An open TCP stream without packets for this long (capture time) is finished and its memory freed.</summary>
    public TimeSpan FlowIdleTimeout { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>
    /// Closed TCP streams (FIN both ways or RST) are finished after this much quiet. Long enough for the last ACK and
    /// retransmitted FINs; a later packet of the same tuple would start a new stream (a new SYN does so anyway).
    /// </summary>
    public TimeSpan ClosedFlowTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>UDP and ICMP flows (which never close) are finished after this much quiet, like conntrack's UDP timeout.</summary>
    public TimeSpan DatagramIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>SYN→SYN-ACK above this is a slow handshake.</summary>
    public TimeSpan SlowHandshake { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>How many individual malformed frames are listed as problems before only the count is kept.</summary>
    public int MaxListedProblemsPerFile { get; init; } = 20;
    /// <summary>Chunks of 1024 finished flows kept in memory before older ones are spilled to a temporary file (tests
    /// lower it to exercise the spill path on small inputs). Flows are stored by creation order but finish later (their
    /// lifetime plus the timeouts above); a flow finishing into a chunk already on disk costs a write of its own, so
    /// the window covers the usual lag: 64K flows, ~16 MB.</summary>
    internal int ResidentResultChunks { get; init; } = 64;
    /// <summary>RX-queue / softirq stall detection from handshakes and echoes, with the RSS settings that map flows to queues.</summary>
    public Stalls.StallOptions Stalls { get; init; } = NetTrace.Analyzer.Stalls.StallOptions.Default;

    public static AnalyzeSettings Default { get; } = new();
}

/// <summary>Progress of a run, for a progress line on stderr.</summary>
public readonly record struct AnalyzeProgress(
    string Path, int FileIndex, int FileCount, long BytesRead, long TotalBytes, long Packets, TimeSpan Elapsed, bool Final = false)
{
    public double PacketsPerSecond => Elapsed.TotalSeconds > 0 ? Packets / Elapsed.TotalSeconds : 0;
}
