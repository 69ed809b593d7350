namespace NetTrace.Analyzer.Model;

/// <summary>Per-flow packet and byte counts (both directions; A = the side seen first).</summary>
public sealed record FlowStats(
    string Protocol,          // "tcp", "udp", "icmp", "icmpv6"
    string A,
    string B,
    long PacketsAtoB,
    long PacketsBtoA,
    long BytesAtoB,
    long BytesBtoA,
    double FirstTime,
    double LastTime,
    string? Outer = null,
    string? Vlan = null);
