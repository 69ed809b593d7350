using System.Net;

namespace NetTrace.Tracer.Probes;

/// <summary>Where and when an event happened. For events raised in softirq context Pid/Comm name the task that
/// happened to be on the CPU, not necessarily the packet's owner.</summary>
public readonly record struct EventHeader(
    ulong TimestampNs,   // CLOCK_MONOTONIC (bpf_ktime_get_ns)
    int Cpu,
    uint NetnsInode,     // 0 = unknown
    ulong CgroupId,      // cgroup v2 id; on cgroup-v1-only hosts the kernfs id (inode) of the task's cpu cgroup dir
    int Pid,             // tgid
    int Tid,
    string Comm);

/// <summary>The task that called connect().</summary>
public readonly record struct TaskRef(int Pid, int Tid, string Comm, ulong CgroupId);

public enum TcpConnectKind { Start = 1, SynRetransmit = 2, Established = 3, Refused = 4, TimedOut = 5, Failed = 6, Aborted = 7 }

/// <summary>One step of an active TCP connect. Source port is 0 on Start (the kernel picks it after the state change).</summary>
public readonly record struct TcpConnectEvent(
    EventHeader Header,
    TcpConnectKind Kind,
    IPAddress Source, ushort SourcePort,
    IPAddress Destination, ushort DestinationPort,
    bool WasV4Mapped,          // an AF_INET6 (dual-stack) socket talking IPv4
    ulong SocketId,            // ties Start to its outcome
    ulong StartNs,
    ulong LatencyNs,           // since Start (0 on Start)
    int SynRetransmits,
    int Error,                 // errno at CLOSE (111 refused, 110 timed out, ...)
    bool ResetSeen,            // tcp_receive_reset fired for this socket
    TaskRef Owner);

/// <summary>Where a receive ran. Hardirq is reserved: the current probes never report it (receives run in softirq).</summary>
public enum ExecContext { Unknown = 0, Task = 1, Softirq = 2, Hardirq = 3 }

/// <summary>An ICMP echo request (type 8) or ICMPv6 echo request (128) entering the stack.</summary>
public readonly record struct IcmpEchoEvent(
    EventHeader Header,
    IPAddress Source, IPAddress Destination,
    ushort Id, ushort Sequence,
    int IfIndex, int Length,
    ExecContext Context,
    string ContextDescription,   // "softirq in curl[123]", "ksoftirqd/1", "task napi/eth0-1[77]", ...
    ulong SkbTimestampNs,        // skb->tstamp as the kernel stored it (realtime ns; 0 = not stamped)
    long? SinceStampNs,          // how long after the receive timestamp the hook ran (null = no usable stamp)
    uint SoftirqElapsedUs);       // time since the NET_RX softirq run it belongs to began (0 outside one)

/// <summary>A packet freed with a drop reason (skb:kfree_skb).</summary>
public readonly record struct DropEvent(
    EventHeader Header,
    uint ReasonCode,             // this kernel's enum skb_drop_reason value
    string Reason,               // its name without the SKB_DROP_REASON_ prefix, e.g. NO_SOCKET, NETFILTER_DROP
    ulong Location,
    string LocationSymbol,       // "tcp_v4_rcv+0x1a2" (/proc/kallsyms), or the hex address
    ushort EtherType,
    bool HasTuple,
    byte IpProtocol,
    IPAddress? Source, ushort SourcePort,
    IPAddress? Destination, ushort DestinationPort,
    int IfIndex, int Length);

public enum SoftirqEventKind { Delay = 1, Run = 2 }

/// <summary>A NET_RX softirq whose raise→entry delay (Delay) or run time (Run) crossed the threshold.</summary>
public readonly record struct SoftirqEvent(
    EventHeader Header,          // the task on the CPU at entry (Delay) or exit (Run)
    SoftirqEventKind Kind,
    int Vector,
    ulong DelayNs,
    ulong RunNs,
    ulong RaisedAtNs,
    int RaisedByPid,
    string RaisedByComm,
    bool InKsoftirqd);

/// <summary>A CPU whose clock samples stopped for <see cref="GapNs"/>: it ran nothing, not even interrupts (VM paused,
/// vCPU not run by the host, or interrupts off). Header: the CPU and the task running when sampling resumed.</summary>
public readonly record struct CpuGapEvent(EventHeader Header, ulong GapNs);

public enum RxStampKind { Unknown = 0, NetifRx = 1, VethXmit = 2 }

/// <summary>A received packet whose wait between being queued for receive processing (on <see cref="QueuedCpu"/>) and
/// netif_receive_skb crossed the threshold. Header: the CPU that processed it and the task whose context ran it.</summary>
public readonly record struct RxLatencyEvent(
    EventHeader Header,
    ulong LatencyNs,
    ulong QueuedAtNs,            // CLOCK_MONOTONIC
    int QueuedCpu,
    RxStampKind QueuedAt,
    ExecContext Context,         // Softirq (on top of Header.Comm, or ksoftirqd/N) or Task (e.g. a napi/... kthread); Unknown without the context hook
    uint SoftirqElapsedUs,
    int IfIndex,
    IPAddress? Source, IPAddress? Destination,   // null when the packet is not IP
    byte IpProtocol,
    ushort SourcePort, ushort DestinationPort,   // ICMP echo: id and sequence
    byte IcmpType,
    byte TcpFlags);

/// <summary>Cumulative receive-path latency of one CPU (log2 slots as <see cref="SoftirqCpuHistogram"/>).</summary>
public sealed record RxLatencyCpuHistogram(int Cpu, ulong[] Slots, ulong Count, ulong SumNs, ulong MaxNs, ulong OverThreshold);

/// <summary>TCP send volume of one connection (tuple, namespace, socket) and process since the previous drain.</summary>
public sealed record SendStat(
    uint NetnsInode, int Pid, string Comm, ulong CgroupId,
    IPAddress Source, ushort SourcePort, IPAddress Destination, ushort DestinationPort,
    ulong Bytes, ulong Calls, ulong FirstNs, ulong LastNs,
    ulong SocketId);

/// <summary>Cumulative NET_RX timing of one CPU. Slot i counts values v with 2^i ≤ v &lt; 2^(i+1) ns (slot 0 also 0–1 ns);
/// the last slot is open-ended.</summary>
public sealed record SoftirqCpuHistogram(
    int Cpu,
    ulong[] DelaySlots, ulong DelayCount, ulong DelaySumNs, ulong DelayMaxNs,
    ulong[] RunSlots, ulong RunCount, ulong RunSumNs, ulong RunMaxNs)
{
    public static ulong SlotLowerBoundNs(int slot) => slot == 0 ? 0 : 1UL << slot;
}

/// <summary>Receives decoded events on the thread that calls <c>TraceSession.Poll</c>.</summary>
public interface ITraceEventSink
{
    void OnTcpConnect(in TcpConnectEvent e);
    void OnIcmpEcho(in IcmpEchoEvent e);
    void OnDrop(in DropEvent e);
    void OnSoftirq(in SoftirqEvent e);
    /// <summary>Default: ignored, so sinks written before the rx-latency probe keep compiling.</summary>
    void OnRxLatency(in RxLatencyEvent e) { }
    /// <summary>Default: ignored (see <see cref="OnRxLatency"/>).</summary>
    void OnCpuGap(in CpuGapEvent e) { }
}
