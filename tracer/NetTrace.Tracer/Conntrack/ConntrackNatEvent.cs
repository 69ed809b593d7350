using System.Net;

namespace NetTrace.Tracer.Conntrack;

public enum ConntrackNatKind : byte
{
    /// <summary>A connection's first packet after SNAT, conntrack not yet confirmed.</summary>
    New = 1,
    /// <summary>A packet dropped by netfilter while its conntrack was unconfirmed: it lost the insert race.</summary>
    ClashDrop = 2,
}

/// <summary>
/// One conntrack NAT observation. <see cref="Inner"/>/<see cref="Remote"/> come from the ORIGINAL tuple (the pod's
/// view); <see cref="Outer"/> is the REPLY tuple's destination, i.e. the source address:port after SNAT.
/// </summary>
public sealed record ConntrackNatEvent(
    ConntrackNatKind Kind,
    ulong TimestampNs,
    ulong Conntrack,
    uint NetnsInode,
    int Cpu,
    byte Protocol,
    IPEndPoint Inner,
    IPEndPoint Remote,
    IPEndPoint Outer,
    uint Status)
{
    /// <summary>SNAT changed the source port (MASQUERADE keeps it when it is free: a remap means it was taken).</summary>
    public bool PortRemapped => Inner.Port != Outer.Port;
    public string ProtocolName => Protocol switch { 6 => "tcp", 17 => "udp", 1 => "icmp", 58 => "icmpv6", _ => Protocol.ToString() };
    public override string ToString() => $"{Kind} {ProtocolName} {Inner} -> {Remote} as {Outer} (cpu {Cpu})";
}
