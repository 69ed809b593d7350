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

    /// <summary>50 connections and 50 ping pairs; each connection carries dataSegments extra segments.</summary>
    private static string Build(int dataSegments)
    {
        var frames = new List<Frame>();
        for (int c = 0; c < Connections; c++)
        {
            long start = T0 + c * 10_000_000L;
            var hs = Handshake(cport: (ushort)(20000 + c), start: start);
            frames.AddRange(Wrap(hs.Take(3), ip => EthIpv4(ip, 7)));
            for (int i = 0; i < dataSegments; i++)
            {
                var seg = Ipv4(i % 2 == 0 ? "10.0.0.1" : "10.0.0.2", i % 2 == 0 ? "10.0.0.2" : "10.0.0.1", 6,
                    i % 2 == 0 ? Tcp((ushort)(20000 + c), 80, ClientIsn + 1 + (uint)i * 100, ServerIsn + 1, 0x18, 100)
                               : Tcp(80, (ushort)(20000 + c), ServerIsn + 1, ClientIsn + 1 + (uint)i * 100, 0x10));
                frames.Add(new Frame(start + 3_000_000 + i * 1000, EthIpv4(seg, 7)));
            }
            frames.AddRange(Wrap(Ping(id: (ushort)c, start: start + 5_000_000), ip => EthIpv4(ip, 7)));
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
        var small = Build(dataSegments: 10);   // 50 × (3 + 10 + 2) =   750 packets
        var large = Build(dataSegments: 400);  // 50 × (3 + 400 + 2) = 20,250 packets
        try
        {
            Allocated(small); // warm up: JIT, pools, static registries
            Allocated(large);
            long a = Allocated(small);
            long b = Allocated(large);
            long perExtraPacket = (b - a) / (20_250 - 750);
            TestContext.Current.SendDiagnosticMessage($"allocated: {a:N0} B for 750 packets, {b:N0} B for 20,250 packets");
            // 19,500 more packets may cost at most a few KB in total (file buffer reuse, list growth noise), not bytes per packet.
            Assert.True(b - a < 16 * 1024, $"20,250 packets allocated {b:N0} B vs {a:N0} B for 750 (≈{perExtraPacket} B per extra packet)");
            Assert.True(a < 1024 * 1024, $"750 packets / 100 flows allocated {a:N0} B");
        }
        finally
        {
            File.Delete(small);
            File.Delete(large);
        }
    }
}
