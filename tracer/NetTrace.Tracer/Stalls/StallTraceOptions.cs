using NetTrace.Tracer.Planning;

namespace NetTrace.Tracer.Stalls;

/// <summary>What <see cref="StallTrace"/> attaches and how it groups what it sees.</summary>
public sealed record StallTraceOptions
{
    /// <summary>NET_RX delays, NET_RX runs and packet waits at least this long make stall windows.</summary>
    public TimeSpan StallThreshold { get; init; } = TimeSpan.FromMilliseconds(2);
    /// <summary>Packets that waited at least this long are streamed for the latency timeline (the per-CPU histograms
    /// count every packet). Below <see cref="StallThreshold"/> they are timeline points only. Null = the stall threshold.</summary>
    public TimeSpan? PacketEventThreshold { get; init; }
    /// <summary>Only packets received in this network namespace (inode of /proc/PID/ns/net or /var/run/netns/NAME);
    /// 0 = every namespace. NET_RX timing is per CPU and never filtered.</summary>
    public uint NetnsInode { get; init; }
    /// <summary>Report only these CPUs' stalls (null = every CPU). Whether a stall hit one CPU or all is still
    /// judged over every CPU.</summary>
    public IReadOnlySet<int>? Cpus { get; init; }
    /// <summary>Sample every CPU's clock to tell whole-machine (VM) pauses from one-CPU stalls (a perf cpu-clock
    /// event per CPU; left out, with the reason in <see cref="StallTraceResult.Probes"/>, where perf events are unavailable).</summary>
    public bool WatchCpuGaps { get; init; } = true;
    /// <summary>Attach kinds never to use (tests force the classic tracepoint path with TpBtf).</summary>
    public IReadOnlySet<AttachKind>? DisabledAttachKinds { get; init; }
    /// <summary>Kernel capabilities to plan with (null = detected once per process). Tests pass ones detected where a
    /// private tracefs is mounted.</summary>
    public KernelCapabilities? Capabilities { get; init; }
    /// <summary>Also write the events as a .ntrace recording here (null = none).</summary>
    public string? RecordingPath { get; init; }
    /// <summary>Events kept in memory for the analysis; beyond this they are counted in <see cref="StallTraceResult.EventsDropped"/>.</summary>
    public int MaxEvents { get; init; } = 1_000_000;
}
