namespace NetTrace.Analyzer.Tests.Oracle;

/// <summary>Values where we disagree with tshark on purpose; each is pinned with its reason in OracleDifferenceTests.</summary>
public static class KnownDifferences
{
    private static readonly Dictionary<(string File, string Key), string> Reasons = new()
    {
        [("zeek-vlan-collisions.pcap", "tcp_streams")] = "our streams are VLAN-aware: 3 connections, tshark merges them into 1",
        [("zeek-vlan-collisions.pcap", "tcp_syn_retransmission")] = "the 2nd/3rd SYN are other connections in other VLANs, not retransmissions",
        [("zeek-vlan-collisions.pcap", "handshakes")] = "3 complete handshakes (one per VLAN path) instead of tshark's 1",
        [("pcapplusplus-example.pcap", "malformed")] = "tshark flags 3 HTTP/PNG bodies it fails to dissect; we do not dissect application payloads",
        [("chrissanders-icmp_traceroute.pcapng", "malformed")] = "tshark flags 3 ICMP time-exceeded messages for their trailing/extension data; their IP and ICMP headers are sound",
    };

    public static bool Covers(string file, string key) => Reasons.ContainsKey((file, key));
    public static string Reason(string file, string key) => Reasons[(file, key)];
    public static IEnumerable<(string File, string Key, string Reason)> All => Reasons.Select(kv => (kv.Key.File, kv.Key.Key, kv.Value));
}
