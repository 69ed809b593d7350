using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Tests.Builders;
using Xunit;
using static NetTrace.Analyzer.Tests.Builders.Packets;
using static NetTrace.Analyzer.Tests.Builders.Traffic;

namespace NetTrace.Analyzer.Tests.Performance;

/// <summary>
/// The per-packet path must not allocate: two captures with the same flows but 20× more packets must allocate
/// (almost) the same. Measured with GC.GetAllocatedBytesForCurrentThread around a whole Analyze call.
/// </summary>
public class AllocationTests
{
    private const int Connections = 50;

    /// <summary>
    /// 50 connections (alternately IPv4 in a VLAN and IPv6), 50 ping pairs and 50 DNS-like UDP exchanges; each
    /// connection carries dataSegments extra segments and each UDP flow dataSegments / 10 extra datagrams.
    /// </summary>
    private static string Build(int dataSegments)
    {
        var frames = new List<Frame>();
        for (int c = 0; c < Connections; c++)
        {
            long start = T0 + c * 10_000_000L;
            bool v6 = c % 2 == 1;
            string cli = v6 ? "2001:db8::1" : "10.0.0.1", srv = v6 ? "2001:db8::2" : "10.0.0.2";
            byte[] L2(byte[] ip) => v6 ? EthIpv6(ip) : EthIpv4(ip, 7);
            byte[] L3(string s, string d, byte proto, byte[] payload) => v6 ? Ipv6(s, d, proto, payload) : Ipv4(s, d, proto, payload);
            var hs = Handshake(cli, srv, cport: (ushort)(20000 + c), start: start);
            frames.AddRange(Wrap(hs.Take(3), L2));
            for (int i = 0; i < dataSegments; i++)
            {
                var seg = L3(i % 2 == 0 ? cli : srv, i % 2 == 0 ? srv : cli, 6,
                    i % 2 == 0 ? Tcp((ushort)(20000 + c), 80, ClientIsn + 1 + (uint)i * 100, ServerIsn + 1, 0x18, 100)
                               : Tcp(80, (ushort)(20000 + c), ServerIsn + 1, ClientIsn + 1 + (uint)i * 100, 0x10));
                frames.Add(new Frame(start + 3_000_000 + i * 1000, L2(seg)));
            }
            for (int i = 0; i < 2 + dataSegments / 10; i++)
                frames.Add(new Frame(start + 4_000_000 + i * 1000, L2(L3(i % 2 == 0 ? cli : srv, i % 2 == 0 ? srv : cli, 17,
                    i % 2 == 0 ? Udp((ushort)(40000 + c), 53, new byte[40]) : Udp(53, (ushort)(40000 + c), new byte[80])))));
            frames.AddRange(Wrap(Ping(cli, srv, id: (ushort)c, start: start + 5_000_000), L2));
        }
        var path = Path.Combine(Path.GetTempPath(), $"nt-alloc-{dataSegments}-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, PcapFile.Build(LinkTypes.Ethernet, frames));
        return path;
    }

    private static long Allocated(string path)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var r = CaptureAnalyzer.Analyze([path], AnalyzeSettings.Default, null, CancellationToken.None);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(Connections, r.Handshakes.Count);
        return bytes;
    }

    [Fact]
    public void Allocation_is_bounded_by_flows_not_packets()
    {
        var small = Build(dataSegments: 10);   // 50 × (3 + 10 + 3 + 2) =    900 packets
        var large = Build(dataSegments: 400);  // 50 × (3 + 400 + 42 + 2) = 22,350 packets
        try
        {
            Allocated(small); // warm up: JIT, pools, static registries
            Allocated(large);
            long a = Allocated(small);
            long b = Allocated(large);
            long perExtraPacket = (b - a) / (22_350 - 900);
            TestContext.Current.SendDiagnosticMessage($"allocated: {a:N0} B for 900 packets, {b:N0} B for 22,350 packets (150 flows each)");
            // 21,450 more packets may cost at most a few KB in total (list growth noise), not bytes per packet.
            Assert.True(b - a < 16 * 1024, $"22,350 packets allocated {b:N0} B vs {a:N0} B for 900 (≈{perExtraPacket} B per extra packet)");
            Assert.True(a < 1024 * 1024, $"900 packets / 150 flows allocated {a:N0} B");
        }
        finally
        {
            File.Delete(small);
            File.Delete(large);
        }
    }
}
