using NetTrace.Analyzer.Model;
using static NetTrace.Analyzer.Tests.Builders.Packets;

namespace NetTrace.Analyzer.Tests.Builders;

/// <summary>Ready-made conversations as IP packets with times, to wrap in any link layer or tunnel.</summary>
public static class Traffic
{
    public const long T0 = 1_700_000_000_123_456_789; // ns: a timestamp with sub-microsecond digits
    public const uint ClientIsn = 1000, ServerIsn = 5000;

    /// <summary>SYN at T0, SYN-ACK at +1.5 ms, ACK at +2 ms, one data segment, FIN both ways. IPv4 or IPv6.</summary>
    public static List<(long Ns, byte[] Ip)> Handshake(string client = "10.0.0.1", string server = "10.0.0.2", ushort cport = 40000, ushort sport = 80, long start = T0)
    {
        bool v6 = client.Contains(':');
        byte[] Pkt(string s, string d, byte[] tcp) => v6 ? Ipv6(s, d, 6, tcp) : Ipv4(s, d, 6, tcp);
        return
        [
            (start, Pkt(client, server, Tcp(cport, sport, ClientIsn, 0, 0x02))),
            (start + 1_500_000, Pkt(server, client, Tcp(sport, cport, ServerIsn, ClientIsn + 1, 0x12))),
            (start + 2_000_000, Pkt(client, server, Tcp(cport, sport, ClientIsn + 1, ServerIsn + 1, 0x10))),
            (start + 3_000_000, Pkt(client, server, Tcp(cport, sport, ClientIsn + 1, ServerIsn + 1, 0x18, payload: 100))),
            (start + 4_000_000, Pkt(client, server, Tcp(cport, sport, ClientIsn + 101, ServerIsn + 1, 0x11))),
            (start + 5_000_000, Pkt(server, client, Tcp(sport, cport, ServerIsn + 1, ClientIsn + 102, 0x11))),
        ];
    }

    /// <summary>Echo request at T0 and its reply 250 µs later.</summary>
    public static List<(long Ns, byte[] Ip)> Ping(string a = "10.0.0.1", string b = "10.0.0.2", ushort id = 7, ushort seq = 1, long start = T0)
    {
        bool v6 = a.Contains(':');
        byte[] Pkt(string s, string d, bool req) => v6 ? Ipv6(s, d, 58, IcmpEcho(req, id, seq, true)) : Ipv4(s, d, 1, IcmpEcho(req, id, seq));
        return [(start, Pkt(a, b, true)), (start + 250_000, Pkt(b, a, false))];
    }

    public static List<Frame> Wrap(IEnumerable<(long Ns, byte[] Ip)> packets, Func<byte[], byte[]> link) =>
        packets.Select(p => new Frame(p.Ns, link(p.Ip))).ToList();

    public static AnalysisResult AnalyzeBytes(byte[] file, string ext = ".pcap", AnalyzeSettings? settings = null)
    {
        var path = Path.Combine(Path.GetTempPath(), "nt-test-" + Guid.NewGuid().ToString("N") + ext);
        File.WriteAllBytes(path, file);
        try
        {
            return CaptureAnalyzer.Analyze([path], settings ?? AnalyzeSettings.Default, null, CancellationToken.None);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static void AssertOneCleanHandshake(AnalysisResult r, string client = "10.0.0.1:40000", string server = "10.0.0.2:80")
    {
        var h = Xunit.Assert.Single(r.Handshakes);
        Xunit.Assert.Equal(client, h.Client);
        Xunit.Assert.Equal(server, h.Server);
        Xunit.Assert.Equal(HandshakeOutcome.Established, h.Outcome);
        Xunit.Assert.Equal(1500.0, h.SynAckRttMicros!.Value, 3);
        Xunit.Assert.Equal(2000.0, h.AckRttMicros!.Value, 3);
    }
}
