using System.Text.Json;
using NetTrace.TestSupport;

namespace NetTrace.Analyzer.Tests.Oracle;

/// <summary>One tshark oracle JSON (../shared/pcaps/oracle/&lt;capture&gt;.json, built as oracle/HOW.md says).</summary>
public sealed class OracleFile
{
    public JsonElement Root { get; }

    private OracleFile(JsonElement root) => Root = root;

    public static OracleFile Load(string capture)
    {
        var text = File.ReadAllText(Path.Combine(SharedPcaps.OracleDir, capture + ".json"));
        return new OracleFile(JsonDocument.Parse(text).RootElement.Clone());
    }

    public long Count(string key) => Root.GetProperty("counts").GetProperty(key).GetInt64();
    public long TcpStreams => Root.GetProperty("tcp_streams").GetInt64();
    public IEnumerable<JsonElement> Handshakes => Root.GetProperty("handshakes_complete").EnumerateArray();
    public IEnumerable<JsonElement> EchoPairs(bool v6) => Root.GetProperty(v6 ? "icmpv6_echo_pairs" : "icmp_echo_pairs").EnumerateArray();
    public IEnumerable<long> Unanswered(bool v6) =>
        Root.GetProperty(v6 ? "icmpv6_echo_requests_unanswered" : "icmp_echo_requests_unanswered").EnumerateArray().Select(e => e.GetInt64());

    /// <summary>Every capture in the shared folder (the oracle has one JSON per capture).</summary>
    public static IEnumerable<string> Captures() =>
        Directory.GetFiles(SharedPcaps.Dir)
            .Select(Path.GetFileName)
            .Where(n => n!.EndsWith(".pcap", StringComparison.Ordinal) || n.EndsWith(".pcapng", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)!;
}
