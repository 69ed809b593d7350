using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Tests.Builders;
using Xunit;
using static NetTrace.Analyzer.Tests.Builders.Packets;
using static NetTrace.Analyzer.Tests.Builders.Traffic;

namespace NetTrace.Analyzer.Tests.Readers;

/// <summary>Hand-built files for every container variant the shared captures do not cover.</summary>
public class CaptureFormatTests
{
    [Theory]
    [InlineData(false, false, "pcap-usec-le")]
    [InlineData(false, true, "pcap-usec-be")]
    [InlineData(true, false, "pcap-nsec-le")]
    [InlineData(true, true, "pcap-nsec-be")]
    public void Pcap_in_both_resolutions_and_byte_orders(bool nanos, bool bigEndian, string format)
    {
        var frames = Wrap(Handshake(), ip => EthIpv4(ip));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Ethernet, frames, nanos, bigEndian));
        Assert.Equal(format, Assert.Single(r.Sources).Format);
        Assert.Equal(6, r.Summary.Frames);
        AssertOneCleanHandshake(r);
        // Nanosecond files keep the nanoseconds of T0; microsecond files truncate them.
        double expected = nanos ? T0 / 1e9 : (T0 / 1000) / 1e6;
        Assert.Equal(expected, r.Handshakes[0].SynTime, 6);
        Assert.Equal(0, CaptureAnalyzer.ExitCode(r));
    }

    [Fact]
    public void Nanosecond_pcap_keeps_sub_microsecond_rtts()
    {
        var ping = Ping();
        ping[1] = (ping[0].Ns + 1_234, ping[1].Ip); // 1.234 µs
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, ping.Select(p => new Frame(p.Ns, p.Ip)), nanos: true));
        Assert.Equal(1.234, Assert.Single(r.IcmpEchoes).RttMicros!.Value, 3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pcapng_either_byte_order_with_comments_statistics_and_unknown_blocks(bool bigEndian)
    {
        var f = new PcapngFile(bigEndian).Section("captured on node-1").Interface(LinkTypes.Ethernet, tsresol: 9);
        f.Block(0x0BAD0BAD, [1, 2, 3, 4, 5, 6, 7]); // unknown block: skipped by its length
        foreach (var (ns, ip) in Handshake()) f.Enhanced(0, (ulong)ns, EthIpv4(ip), withComment: true);
        f.InterfaceStatistics(0).Block(4, new byte[8]); // name resolution block
        var r = AnalyzeBytes(f.ToArray(), ".pcapng");
        var src = Assert.Single(r.Sources);
        Assert.Equal(bigEndian ? "pcapng-be" : "pcapng-le", src.Format);
        Assert.Contains("captured on node-1", src.Comments);
        Assert.True(src.Complete);
        AssertOneCleanHandshake(r);
        Assert.Equal(T0 / 1e9, r.Handshakes[0].SynTime, 6);
    }

    [Fact]
    public void Pcapng_interfaces_with_different_link_types_and_resolutions_including_power_of_two()
    {
        var hs = Handshake();
        var f = new PcapngFile().Section()
            .Interface(LinkTypes.Ethernet)                        // 0: microseconds (no option)
            .Interface(LinkTypes.Raw, tsresol: 9)                 // 1: nanoseconds
            .Interface(LinkTypes.LinuxSll2, tsresol: 0x80 | 20)   // 2: 2^-20 s
            .Interface(LinkTypes.Null, tsresol: 3, tsOffsetSeconds: 1_000); // 3: milliseconds + offset
        // The same handshake spread over the interfaces, each timestamp in its interface's unit.
        f.Enhanced(0, (ulong)(hs[0].Ns / 1000), EthIpv4(hs[0].Ip));
        f.Enhanced(1, (ulong)hs[1].Ns, hs[1].Ip);
        ulong pow2Ticks = (ulong)((System.Numerics.BigInteger)hs[2].Ns * (1 << 20) / 1_000_000_000);
        f.Enhanced(2, pow2Ticks, Sll2(0x0800, hs[2].Ip));
        f.Enhanced(3, (ulong)((hs[3].Ns - 1_000_000_000_000) / 1_000_000), Loopback(2, hs[3].Ip, bigEndian: false));
        var r = AnalyzeBytes(f.ToArray(), ".pcapng");
        Assert.Equal(["ETHERNET", "RAW", "LINUX_SLL2", "NULL"], Assert.Single(r.Sources).LinkTypes);
        Assert.Equal(4, r.Summary.Frames);
        Assert.Equal(4, r.Summary.Tcp);
        var h = Assert.Single(r.Handshakes);
        Assert.Equal(HandshakeOutcome.Established, h.Outcome);
        // The SYN went through a microsecond interface (T0's 789 ns dropped), the SYN-ACK through a nanosecond one.
        Assert.Equal(1500.789, h.SynAckRttMicros!.Value, 3);
        // 2^-20 s ticks are ~0.95 µs apart: the ACK time may be up to one tick early.
        Assert.InRange(h.AckRttMicros!.Value, 2000.789 - 0.954, 2000.789);
        Assert.Equal(T0 / 1000 / 1e6, h.SynTime, 6);
    }

    [Theory]
    [InlineData(false, 6, 1_000_000UL, 1_000_000_000L)]
    [InlineData(false, 9, 7UL, 7L)]
    [InlineData(false, 12, 7_000UL, 7L)]
    [InlineData(true, 10, 1024UL, 1_000_000_000L)]
    [InlineData(true, 30, 3UL << 29, 1_500_000_000L)]
    public void Timestamp_resolutions_convert_to_nanoseconds(bool pow2, int exponent, ulong ticks, long ns) =>
        Assert.Equal(ns, PcapngReader.ToNanos(ticks, pow2, exponent, 0));

    [Fact]
    public void Pcapng_simple_and_obsolete_packet_blocks()
    {
        var hs = Handshake();
        var f = new PcapngFile().Section().Interface(LinkTypes.Ethernet, snaplen: 0);
        f.Obsolete(0, (ulong)(hs[0].Ns / 1000), EthIpv4(hs[0].Ip));
        f.Simple(EthIpv4(hs[1].Ip)); // no timestamp: takes the previous packet's time
        f.Enhanced(0, (ulong)(hs[2].Ns / 1000), EthIpv4(hs[2].Ip));
        var r = AnalyzeBytes(f.ToArray(), ".pcapng");
        Assert.Equal(3, r.Summary.Frames);
        var h = Assert.Single(r.Handshakes);
        Assert.Equal(0.0, h.SynAckRttMicros!.Value, 3);
        Assert.Equal(2000.0, h.AckRttMicros!.Value, 3);
        Assert.Contains(r.Problems, p => p.Severity == ProblemSeverity.Info && p.Message.Contains("no timestamp") && p.PacketNumber == 2);
    }

    [Fact]
    public void Pcapng_with_two_sections_of_different_byte_order_restarts_interface_numbering()
    {
        var hs = Handshake();
        var first = new PcapngFile(false).Section().Interface(LinkTypes.Raw, tsresol: 9);
        first.Enhanced(0, (ulong)hs[0].Ns, hs[0].Ip);
        var second = new PcapngFile(true).Section().Interface(LinkTypes.Ethernet, tsresol: 9);
        foreach (var (ns, ip) in hs.Skip(1)) second.Enhanced(0, (ulong)ns, EthIpv4(ip));
        var r = AnalyzeBytes(first.ToArray().Concat(second.ToArray()).ToArray(), ".pcapng");
        Assert.Equal(["RAW", "ETHERNET"], Assert.Single(r.Sources).LinkTypes);
        AssertOneCleanHandshake(r);
    }

    [Fact]
    public void Zero_length_packets_are_counted_reported_and_skipped()
    {
        var frames = new List<Frame> { new(T0, []) };
        frames.AddRange(Wrap(Handshake(start: T0 + 1000), ip => EthIpv4(ip)));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Ethernet, frames));
        Assert.Equal(7, r.Summary.Frames);
        AssertOneCleanHandshake(r);
        Assert.Equal(1, r.Summary.Malformed);
        Assert.Contains(r.Problems, p => p.PacketNumber == 1 && p.FileOffset == 24 && p.Message.Contains("shorter than its own headers"));
        Assert.Equal(1, CaptureAnalyzer.ExitCode(r));
    }
}
