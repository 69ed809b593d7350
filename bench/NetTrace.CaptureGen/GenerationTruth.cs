using System.Text.Json;
using System.Text.Json.Serialization;

namespace NetTrace.CaptureGen;

/// <summary>
/// What the generator put into the file, counted as frames were written. Frame counts follow tshark's convention:
/// "syn" = SYN without ACK (first SYNs and their retransmissions), "synAck" = SYN with ACK.
/// </summary>
public sealed class GenerationTruth
{
    public string Profile { get; set; } = "";
    public ulong Seed { get; set; }
    public string Format { get; set; } = "";
    public long Frames { get; set; }
    public long FileBytes { get; set; }
    public long Ipv4 { get; set; }
    public long Ipv6 { get; set; }
    public long Tcp { get; set; }
    public long Udp { get; set; }
    public long Icmp { get; set; }
    public long Icmpv6 { get; set; }
    public long VlanTagged { get; set; }
    public long Syn { get; set; }
    public long SynAck { get; set; }
    public long Rst { get; set; }
    public long Fin { get; set; }
    public long TcpDataSegments { get; set; }

    /// <summary>TCP connection attempts = distinct 5-tuples = tshark's tcp.stream count (no port is reused).</summary>
    public long TcpConnections { get; set; }
    public long HandshakesEstablished { get; set; }
    public long ConnectsRefused { get; set; }
    public long ConnectsUnanswered { get; set; }
    /// <summary>Extra SYNs of all connects (what tshark marks tcp.analysis.retransmission on SYN-only frames).</summary>
    public long SynRetransmits { get; set; }
    /// <summary>Connects that were answered (SYN-ACK or RST) only after one / two SYN retransmissions (~1 s / ~3 s).</summary>
    public long ConnectsAnsweredAfter1s { get; set; }
    public long ConnectsAnsweredAfter3s { get; set; }
    public long HandshakesHitByStall { get; set; }
    /// <summary>Connections alive at the same time, at most: what an analyzer's flow table must hold.</summary>
    public long MaxLiveTcpConnections { get; set; }

    public long IcmpEchoRequests { get; set; }
    public long IcmpEchoReplies { get; set; }
    public long IcmpEchoUnanswered { get; set; }
    public long IcmpEchoesHitByStall { get; set; }
    public long DnsQueries { get; set; }
    public long DnsResponses { get; set; }
    public long DnsQueriesLost { get; set; }
    public long StallWindows { get; set; }
    public double FirstTime { get; set; }
    public double LastTime { get; set; }
    public double GenerateSeconds { get; set; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static GenerationTruth FromJson(string json) => JsonSerializer.Deserialize<GenerationTruth>(json, Json)!;
}
