namespace NetTrace.Analyzer.Model;

public enum HandshakeOutcome { Established, Refused, Unanswered, Reset, Unknown }

/// <summary>
/// One TCP connection attempt seen from its first SYN. Client = the SYN's sender.
/// Times are Unix seconds with microsecond (or finer) precision.
/// </summary>
public sealed record Handshake
{
    public required string Client { get; init; }          // "ip:port" ([v6]:port for IPv6)
    public required string Server { get; init; }
    public required double SynTime { get; init; }          // first SYN, Unix seconds
    public double? SynAckRttMicros { get; init; }          // first SYN -> SYN-ACK
    public double? AckRttMicros { get; init; }             // first SYN -> client's ACK of the SYN-ACK
    public int SynRetransmits { get; init; }
    /// <summary>Gaps between consecutive SYNs in microseconds (1 s / 3 s = initial-RTO signature).</summary>
    public IReadOnlyList<double> SynRetransmitGapsMicros { get; init; } = [];
    public required HandshakeOutcome Outcome { get; init; }
    /// <summary>Outer tuple when the packet came through a tunnel (VXLAN, GRE, IPIP), else null.</summary>
    public string? Outer { get; init; }
    /// <summary>Pod / service names when metadata enrichment knows them.</summary>
    public string? ClientName { get; init; }
    public string? ServerName { get; init; }
    /// <summary>802.1Q ids ("vlan 10/20") when the connection was tagged; part of the stream's identity.</summary>
    public string? Vlan { get; init; }
    /// <summary>Frame number of the first SYN in its file (and that file), for finding it in Wireshark.</summary>
    public long? SynFrame { get; init; }
    public string? SourceFile { get; init; }
    /// <summary>The client's initial sequence number. NAT does not change it, so it pairs a connection across pre- and
    /// post-NAT captures (SNAT race detector).</summary>
    public uint? Isn { get; init; }
}
