using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Tests.Builders;
using Xunit;
using static NetTrace.Analyzer.Tests.Builders.Packets;
using static NetTrace.Analyzer.Tests.Builders.Traffic;

namespace NetTrace.Analyzer.Tests.Decode;

/// <summary>Link types, tags, IP variants and tunnels that the shared captures do not (fully) cover.</summary>
public class ProtocolTests
{
    private static AnalysisResult Raw(IEnumerable<(long Ns, byte[] Ip)> pkts, int linkType, Func<byte[], byte[]> link) =>
        AnalyzeBytes(PcapFile.Build(linkType, Wrap(pkts, link)));

    public static TheoryData<string, int> LinkLayers => new()
    {
        { "sll", LinkTypes.LinuxSll }, { "sll2", LinkTypes.LinuxSll2 }, { "raw101", LinkTypes.Raw },
        { "raw12", LinkTypes.RawOpenBsd }, { "raw14", LinkTypes.RawBsd }, { "ipv4-228", LinkTypes.Ipv4 },
        { "null-le", LinkTypes.Null }, { "null-be", LinkTypes.Null }, { "loop", LinkTypes.Loop },
    };

    [Theory]
    [MemberData(nameof(LinkLayers))]
    public void Every_link_type_reaches_the_tcp_handshake(string variant, int linkType)
    {
        Func<byte[], byte[]> link = variant switch
        {
            "sll" => ip => Sll(0x0800, ip),
            "sll2" => ip => Sll2(0x0800, ip),
            "null-le" => ip => Loopback(2, ip, bigEndian: false),
            "null-be" => ip => Loopback(2, ip, bigEndian: true),
            "loop" => ip => Loopback(2, ip, bigEndian: true),
            _ => ip => ip,
        };
        var r = Raw(Handshake(), linkType, link);
        Assert.Equal(6, r.Summary.Ipv4);
        AssertOneCleanHandshake(r);
    }

    [Theory]
    [InlineData(LinkTypes.Ipv6, 0u)]
    [InlineData(LinkTypes.Null, 24u)]
    [InlineData(LinkTypes.Null, 28u)]
    [InlineData(LinkTypes.Null, 30u)]
    [InlineData(LinkTypes.LinuxSll2, 0u)]
    public void Ipv6_over_raw_loopback_families_and_sll2(int linkType, uint family)
    {
        Func<byte[], byte[]> link = linkType switch
        {
            LinkTypes.Null => ip => Loopback(family, ip, bigEndian: false),
            LinkTypes.LinuxSll2 => ip => Sll2(0x86DD, ip),
            _ => ip => ip,
        };
        var r = Raw(Handshake("2001:db8::1", "2001:db8::2"), linkType, link);
        Assert.Equal(6, r.Summary.Ipv6);
        AssertOneCleanHandshake(r, "[2001:db8::1]:40000", "[2001:db8::2]:80");
    }

    [Fact]
    public void Same_tuple_untagged_in_a_vlan_and_in_qinq_are_three_connections()
    {
        var frames = new List<Frame>();
        frames.AddRange(Wrap(Handshake(), ip => EthIpv4(ip)));
        frames.AddRange(Wrap(Handshake(start: T0 + 50_000_000), ip => EthIpv4(ip, 42)));
        frames.AddRange(Wrap(Handshake(start: T0 + 100_000_000), ip => EthIpv4(ip, 10, 20)));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Ethernet, frames.OrderBy(f => f.TimeNs)));
        Assert.Equal(3, r.Summary.TcpStreams);
        Assert.Equal(0, r.Summary.SynRetransmits);
        Assert.Equal(12, r.Summary.Vlan);
        Assert.Equal([null, "vlan 42", "vlan 10/20"], r.Handshakes.Select(h => h.Vlan));
        Assert.All(r.Handshakes, h => Assert.Equal(1500.0, h.SynAckRttMicros!.Value, 3));
    }

    [Fact]
    public void Old_qinq_tag_0x9100_is_followed()
    {
        byte[] Tagged(byte[] ip)
        {
            var e = EthIpv4(ip, 5);
            e[12] = 0x91; e[13] = 0x00;
            return e;
        }
        var r = Raw(Handshake(), LinkTypes.Ethernet, Tagged);
        AssertOneCleanHandshake(r);
        Assert.Equal("vlan 5", r.Handshakes[0].Vlan);
    }

    [Fact]
    public void Ipv4_options_are_skipped()
    {
        var pkts = Handshake().Select(p => (p.Ns, Ipv4Reheader(p.Ip, optionBytes: 12))).ToList();
        AssertOneCleanHandshake(Raw(pkts, LinkTypes.Raw, ip => ip));
    }

    private static byte[] Ipv4Reheader(byte[] ip, int optionBytes)
    {
        int ihl = (ip[0] & 0xF) * 4;
        string src = string.Join('.', ip[12..16]), dst = string.Join('.', ip[16..20]);
        return Ipv4(src, dst, ip[9], ip[ihl..], optionBytes);
    }

    [Fact]
    public void Only_the_first_ipv4_fragment_carries_ports()
    {
        var udp = Udp(5000, 53, new byte[40]);
        var first = Ipv4("10.0.0.1", "10.0.0.2", 17, udp[..24], moreFragments: true, ident: 9);
        var second = Ipv4("10.0.0.1", "10.0.0.2", 17, udp[24..], fragOffsetUnits: 3, ident: 9);
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, [new Frame(T0, first), new Frame(T0 + 10, second)]));
        Assert.Equal(2, r.Summary.Ipv4);
        Assert.Equal(1, r.Summary.Udp);
        var flow = Assert.Single(r.Flows);
        Assert.Equal("10.0.0.1:5000", flow.A);
        Assert.Equal(1, flow.PacketsAtoB);
        Assert.Equal(0, r.Summary.Malformed);
    }

    [Fact]
    public void Ipv6_extension_headers_hop_by_hop_routing_destination_options_and_ah_are_walked()
    {
        var pkts = Handshake("2001:db8::1", "2001:db8::2").Select(p =>
            (p.Ns, Ipv6("2001:db8::1", "2001:db8::2", 6, p.Ip[40..], Ext(0), Ext(43, 3), AuthHeader(), Ext(60, 2)))).ToList();
        // Keep the real direction of each segment: rebuild with the original addresses.
        pkts = Handshake("2001:db8::1", "2001:db8::2").Select(p =>
        {
            string s = new System.Net.IPAddress(p.Ip[8..24]).ToString(), d = new System.Net.IPAddress(p.Ip[24..40]).ToString();
            return (p.Ns, Ipv6(s, d, 6, p.Ip[40..], Ext(0), Ext(43, 3), AuthHeader(), Ext(60, 2)));
        }).ToList();
        var r = Raw(pkts, LinkTypes.Raw, ip => ip);
        AssertOneCleanHandshake(r, "[2001:db8::1]:40000", "[2001:db8::2]:80");
    }

    [Fact]
    public void Ipv6_non_first_fragment_has_no_transport()
    {
        var tcp = Tcp(1, 2, 3, 0, 0x02);
        var first = Ipv6("2001:db8::1", "2001:db8::2", 6, tcp, FragmentHeader(0, more: true));
        var later = Ipv6("2001:db8::1", "2001:db8::2", 6, new byte[16], FragmentHeader(2, more: false));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, [new Frame(T0, first), new Frame(T0 + 1, later)]));
        Assert.Equal(2, r.Summary.Ipv6);
        Assert.Equal(1, r.Summary.Tcp);
        Assert.Equal(1, r.Summary.Syn);
    }

    [Theory]
    [InlineData(4789)]
    [InlineData(8472)]
    public void Vxlan_inner_connection_is_analysed_with_its_outer_tuple(int port)
    {
        var pkts = Handshake("10.244.1.5", "10.244.2.9");
        var r = Raw(pkts, LinkTypes.Ethernet, ip => EthIpv4(Ipv4("192.168.0.1", "192.168.0.2", 17, Udp(33333, (ushort)port, Vxlan(1, EthIpv4(ip))))));
        AssertOneCleanHandshake(r, "10.244.1.5:40000", "10.244.2.9:80");
        Assert.Equal("vxlan 192.168.0.1->192.168.0.2 vni 1", r.Handshakes[0].Outer);
        Assert.Equal(6, r.Summary.Vxlan);
        Assert.Equal(6, r.Summary.Udp);
        Assert.Equal(6, r.Summary.Tcp);
        Assert.Equal(1, r.Summary.TcpStreams);
    }

    [Fact]
    public void Same_inner_tuple_in_two_vxlan_networks_is_two_connections()
    {
        var frames = Wrap(Handshake(), ip => EthIpv4(Ipv4("192.168.0.1", "192.168.0.2", 17, Udp(1, 4789, Vxlan(1, EthIpv4(ip))))));
        frames.AddRange(Wrap(Handshake(start: T0 + 10), ip => EthIpv4(Ipv4("192.168.0.1", "192.168.0.2", 17, Udp(1, 4789, Vxlan(2, EthIpv4(ip)))))));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Ethernet, frames.OrderBy(f => f.TimeNs)));
        Assert.Equal(2, r.Summary.TcpStreams);
        Assert.Equal(0, r.Summary.SynRetransmits);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, true, true)]
    public void Gre_with_and_without_key_sequence_and_checksum(bool key, bool seq, bool checksum)
    {
        var r = Raw(Handshake(), LinkTypes.Ethernet, ip => EthIpv4(Ipv4("172.16.0.1", "172.16.0.2", 47,
            Gre(0x0800, ip, key ? 77u : null, seq ? 5u : null, checksum))));
        AssertOneCleanHandshake(r);
        Assert.Equal(key ? "gre 172.16.0.1->172.16.0.2 key 77" : "gre 172.16.0.1->172.16.0.2", r.Handshakes[0].Outer);
        Assert.Equal(6, r.Summary.Gre);
    }

    [Fact]
    public void Gre_transparent_ethernet_bridging()
    {
        var r = Raw(Handshake(), LinkTypes.Ethernet, ip => EthIpv4(Ipv4("172.16.0.1", "172.16.0.2", 47, Gre(0x6558, EthIpv4(ip)))));
        AssertOneCleanHandshake(r);
    }

    [Fact]
    public void Ipip_and_6in4_tunnels()
    {
        var r = Raw(Handshake(), LinkTypes.Raw, ip => Ipv4("198.51.100.1", "198.51.100.2", 4, ip));
        AssertOneCleanHandshake(r);
        Assert.Equal("ipip 198.51.100.1->198.51.100.2", r.Handshakes[0].Outer);
        Assert.Equal(6, r.Summary.IpInIp);

        var r6 = Raw(Ping("2001:db8::1", "2001:db8::2"), LinkTypes.Raw, ip => Ipv4("198.51.100.1", "198.51.100.2", 41, ip));
        var echo = Assert.Single(r6.IcmpEchoes);
        Assert.Equal(250.0, echo.RttMicros!.Value, 3);
        Assert.True(echo.V6);
        Assert.Equal("6in4 198.51.100.1->198.51.100.2", echo.Outer);
        Assert.Equal(2, r6.Summary.Ipv4);
        Assert.Equal(2, r6.Summary.Ipv6);
    }

    [Fact]
    public void Icmp_error_quoting_a_syn_counts_the_quoted_protocols_but_is_not_a_tcp_segment()
    {
        var syn = Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 80, 1, 0, 0x02));
        var error = Ipv4("10.0.0.254", "10.0.0.1", 1, IcmpError(syn, type: 3, quoteBytes: 40));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, [new Frame(T0, syn), new Frame(T0 + 1000, error)]));
        Assert.Equal(2, r.Summary.Tcp);     // tshark's `tcp` matches the quoted header too
        Assert.Equal(2, r.Summary.Syn);
        Assert.Equal(1, r.Summary.Icmp);
        Assert.Equal(1, r.Summary.TcpStreams); // but only the real SYN makes a stream
        var h = Assert.Single(r.Handshakes);
        Assert.Equal(HandshakeOutcome.Unanswered, h.Outcome);
        Assert.Equal(0, h.SynRetransmits);
    }

    [Fact]
    public void Icmpv6_error_quoting_an_echo_request_does_not_answer_it()
    {
        var ping = Ping("2001:db8::1", "2001:db8::2");
        var error = Ipv6("2001:db8::fe", "2001:db8::1", 58, IcmpError(ping[0].Ip, type: 3, quoteBytes: 48));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, [new Frame(T0, ping[0].Ip), new Frame(T0 + 5, error)]));
        Assert.Null(Assert.Single(r.IcmpEchoes).RttMicros);
        Assert.Equal(2, r.Summary.Icmpv6);
    }

    [Fact]
    public void Duplicated_echo_request_pairs_the_reply_with_the_latest_copy_like_tshark()
    {
        var ping = Ping();
        var frames = new List<Frame> { new(T0, ping[0].Ip), new(T0 + 30_000, ping[0].Ip), new(ping[1].Ns, ping[1].Ip) };
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, frames));
        Assert.Equal(2, r.IcmpEchoes.Count);
        Assert.Null(r.IcmpEchoes[0].RttMicros);
        Assert.Equal(220.0, r.IcmpEchoes[1].RttMicros!.Value, 3);
        Assert.Equal(2, r.IcmpEchoes[1].RequestFrame);
    }

    [Fact]
    public void Ping_to_self_on_loopback_pairs()
    {
        var r = Raw(Ping("127.0.0.1", "127.0.0.1"), LinkTypes.Null, ip => Loopback(2, ip, bigEndian: false));
        Assert.Equal(250.0, Assert.Single(r.IcmpEchoes).RttMicros!.Value, 3);
        var r6 = Raw(Ping("::1", "::1"), LinkTypes.LinuxSll, ip => Sll(0x86DD, ip));
        Assert.Equal(250.0, Assert.Single(r6.IcmpEchoes).RttMicros!.Value, 3);
    }

    [Fact]
    public void Unsupported_link_type_is_counted_and_reported_once()
    {
        var r = AnalyzeBytes(PcapFile.Build(147, [new Frame(T0, new byte[40]), new Frame(T0 + 1, new byte[40])]));
        Assert.Equal(2, r.Summary.Frames);
        Assert.Equal(2, r.Summary.UnsupportedLinkType);
        Assert.Single(r.Problems, p => p.Message.Contains("not supported"));
        Assert.Equal(1, CaptureAnalyzer.ExitCode(r));
    }
}
