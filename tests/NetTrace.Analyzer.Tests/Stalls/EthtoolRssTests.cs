using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Stalls;
using Xunit;

namespace NetTrace.Analyzer.Tests.Stalls;

public class EthtoolRssTests
{
    // As `ethtool -x eth0` prints it after `ethtool -X eth0 equal 4` on an 8-ring NIC with its own key.
    private const string Sample = """
        RX flow hash indirection table for eth0 with 8 RX ring(s):
            0:      0     1     2     3     0     1     2     3
            8:      0     1     2     3     0     1     2     3
           16:      0     1     2     3     0     1     2     3
           24:      0     1     2     3     0     1     2     3
        RSS hash key:
        3c:b2:0f:5e:91:aa:04:17:c8:3d:22:e6:7b:10:9f:45:d1:08:6a:bf:33:c2:7e:94:05:18:ee:a1:42:6d:b9:f0:27:81:5c:c6:0b:d4:73:e9
        RSS hash function:
            toeplitz: on
            xor: off
            crc32: off
        """;

    [Fact]
    public void Parses_table_and_key_and_maps_flows_with_them()
    {
        var rss = EthtoolRss.Parse(Sample, "/tmp/node-a-ethtool.txt");
        Assert.Equal(32, rss.Indirection.Length);
        Assert.Equal(4, rss.Queues);
        Assert.Equal([0, 1, 2, 3, 0, 1, 2, 3], rss.Indirection[8..16]);
        Assert.Equal(Convert.FromHexString("3cb20f5e91aa0417c83d22e67b109f45d1086abf33c27e940518eea1426db9f027815cc60bd473e9"), rss.Key);
        Assert.Contains("eth0", rss.KeySource);
        Assert.Contains("node-a-ethtool.txt", rss.IndirectionSource);

        var src = IpAddr.FromV4([10, 1, 0, 1]);
        var dst = IpAddr.FromV4([10, 1, 0, 2]);
        uint h = new ToeplitzHash(rss.Key).Hash(src, dst, 40000, 443, true);
        Assert.Equal((int)(h % 32 % 4), rss.QueueOf(src, dst, 40000, 443, true)); // table row pattern 0 1 2 3
        Assert.NotEqual(new ToeplitzHash(RssSettings.MicrosoftKey).Hash(src, dst, 40000, 443, true), h);
    }

    [Fact]
    public void A_driver_without_a_readable_key_keeps_its_table_and_says_the_key_is_the_default()
    {
        var rss = EthtoolRss.Parse("""
            RX flow hash indirection table for ens5 with 2 RX ring(s):
                0:      0     1     0     1     0     1     0     1
            RSS hash key:
            Operation not supported
            """, "ena.txt");
        Assert.Equal(2, rss.Queues);
        Assert.Equal(RssSettings.MicrosoftKey, rss.Key);
        Assert.StartsWith("default", rss.KeySource);
        Assert.Contains("Operation not supported", rss.KeySource);
    }

    [Fact]
    public void Other_text_and_other_hash_functions_are_refused_with_a_reason()
    {
        var e = Assert.Throws<FormatException>(() => EthtoolRss.Parse("Settings for eth0:\n\tSpeed: 10000Mb/s\n", "x.txt"));
        Assert.Contains("ethtool -x", e.Message);
        e = Assert.Throws<FormatException>(() => EthtoolRss.Parse(Sample.Replace("toeplitz: on", "toeplitz: off").Replace("xor: off", "xor: on"), "x.txt"));
        Assert.Contains("xor", e.Message);
        e = Assert.Throws<FormatException>(() => EthtoolRss.Parse(Sample.Replace("    8:", "   16:"), "x.txt"));
        Assert.Contains("row 16", e.Message);
    }
}
