namespace NetTrace.Lab.SoftirqStall;

/// <summary>Stalled: the flow hashes to the stalled RX queue (its packets handled by the stall CPU). Control: another queue.</summary>
public enum ProbePath { Stalled, Control }

public enum ProbeKind { Icmp, Tcp }

/// <summary>
/// One probe as the lab measured it. ICMP: send time before sendto() to the kernel's receive timestamp of the reply
/// (SIOCGSTAMPNS: taken when the reply entered the client's stack, so a starved prober cannot inflate it).
/// TCP: connect() to the SYN-ACK, from the kernel's own first RTT sample (tcpi_rtt, µs); a connect that needed a
/// SYN retransmit has no RTT sample and falls back to the prober's view of completion.
/// </summary>
public sealed record ProbeSample(
    ProbePath Path,
    ProbeKind Kind,
    int Tick,
    double SendUnixSeconds,
    double? LatencyMs,          // null: no reply before the lab ended
    int SourcePort = 0,         // TCP: each probe is its own flow
    int? Cpu = null)            // TCP: the CPU that handled the SYN-ACK (SO_INCOMING_CPU), i.e. the flow's queue CPU
{
    public double? ReplyUnixSeconds => LatencyMs is { } l ? SendUnixSeconds + l / 1000 : null;
}
