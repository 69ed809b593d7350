using System.Net;
using NetTrace.Analyzer.Decode;
using NetTrace.Analyzer.Stalls;
using Xunit;

namespace NetTrace.Analyzer.Tests.Stalls;

/// <summary>
/// The verification table of Microsoft's RSS specification ("Verifying the RSS Hash Calculation"): the default key,
/// destination and source address/port, and the expected hash over the addresses alone and with the TCP ports.
/// </summary>
public class ToeplitzHashTests
{
    public static TheoryData<string, int, string, int, uint, uint> Vectors => new()
    {
        // destination, dst port, source, src port, IPv4/IPv6 only, with TCP ports
        { "161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178 },
        { "65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea },
        { "12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a },
        { "209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f },
        { "202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2 },
        { "3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d },
        { "ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf },
        { "fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4b61e985, 0x02d1feef },
    };

    private static IpAddr Ip(string s)
    {
        var b = IPAddress.Parse(s).GetAddressBytes();
        return b.Length == 4 ? IpAddr.FromV4(b) : IpAddr.FromV6(b);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Matches_the_specification_table(string dst, int dstPort, string src, int srcPort, uint addressesOnly, uint withPorts)
    {
        var hash = new ToeplitzHash(RssSettings.MicrosoftKey);
        Assert.Equal(addressesOnly, hash.Hash(Ip(src), Ip(dst), (ushort)srcPort, (ushort)dstPort, withPorts: false));
        Assert.Equal(withPorts, hash.Hash(Ip(src), Ip(dst), (ushort)srcPort, (ushort)dstPort, withPorts: true));
    }

    [Fact]
    public void Direction_matters_and_icmp_between_two_hosts_shares_one_queue()
    {
        var rss = RssSettings.WithQueues(8);
        IpAddr a = Ip("10.20.0.1"), b = Ip("10.20.0.2");
        // The request and its reply are hashed by different NICs on different inputs: not the same value.
        Assert.NotEqual(rss.Hash.Hash(a, b, 0, 0, false), rss.Hash.Hash(b, a, 0, 0, false));
        // TCP connects from many source ports spread over every queue; ICMP (addresses only) never moves.
        var queues = Enumerable.Range(40000, 400).Select(p => rss.QueueOf(a, b, (ushort)p, 80, true)).ToHashSet();
        Assert.Equal(8, queues.Count);
        Assert.Single(Enumerable.Range(0, 50).Select(_ => rss.QueueOf(a, b, 0, 0, false)).Distinct());
    }

    [Fact]
    public void Indirection_table_maps_the_low_bits_of_the_hash()
    {
        var rss = new RssSettings(RssSettings.MicrosoftKey, [3, 1], "k", "t");
        Assert.Equal(4, rss.Queues); // highest queue named + 1
        Assert.Equal(3, rss.QueueOf(0x51ccc178 & ~1u));
        Assert.Equal(1, rss.QueueOf(0x51ccc178 | 1u));
    }

    [Fact]
    public void Keys_too_short_for_ipv6_with_ports_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RssSettings(new byte[16], [0], "k", "t"));
        Assert.Throws<FormatException>(() => RssSettings.ParseKey("6d:5a:zz"));
        Assert.Equal(RssSettings.MicrosoftKey, RssSettings.ParseKey("6D5A56DA255B0EC24167253D43A38FB0D0CA2BCBAE7B30B477CB2DA38030F20C6A42B73BBEAC01FA"));
    }
}
