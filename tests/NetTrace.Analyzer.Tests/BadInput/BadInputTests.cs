using System.Buffers.Binary;
using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Tests.Builders;
using NetTrace.TestSupport;
using Xunit;
using static NetTrace.Analyzer.Tests.Builders.Packets;
using static NetTrace.Analyzer.Tests.Builders.Traffic;

namespace NetTrace.Analyzer.Tests.BadInput;

/// <summary>Issue 2 item 7: damaged input is analysed up to the damage and the problem says where and why.</summary>
public class BadInputTests
{
    /// <summary>(frame number, record start, record end) of every frame, read from the intact file.</summary>
    private static List<(long Number, long Start, long End)> Records(string path, bool pcapng)
    {
        var list = new List<(long, long, long)>();
        using IPacketSource s = pcapng ? new PcapngReader(path) : new PcapReader(path);
        while (s.TryRead(out var f)) list.Add((f.Number, f.FileOffset, s.Position));
        return list;
    }

    /// <summary>Small real captures cut at every offset (stride 1), a larger one at every 5th.</summary>
    public static TheoryData<string, int> TruncationCaptures => new()
    {
        { "chrissanders-latency1.pcapng", 1 }, { "zeek-icmp6-ping.pcap", 1 }, { "chrissanders-nowebaccess2.pcapng", 1 }, { "zeek-gre-sample.pcap", 5 },
    };

    /// <summary>Offsets where a block or record ends: a cut there leaves a well-formed (shorter) file.</summary>
    private static HashSet<long> Boundaries(byte[] file, bool pcapng, List<(long Number, long Start, long End)> records)
    {
        var set = new HashSet<long> { file.Length };
        if (!pcapng)
        {
            set.Add(24);
            foreach (var r in records) set.Add(r.End);
            return set;
        }
        long off = 0;
        while (off + 8 <= file.Length)
        {
            off += BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)off + 4)); // the shared pcapng files are little-endian
            set.Add(off);
        }
        return set;
    }

    [Theory]
    [MemberData(nameof(TruncationCaptures))]
    public void Cut_at_every_offset_reads_every_whole_frame_and_names_the_cut_one(string capture, int stride)
    {
        var full = File.ReadAllBytes(SharedPcaps.File(capture));
        bool ng = capture.EndsWith(".pcapng", StringComparison.Ordinal);
        var records = Records(SharedPcaps.File(capture), ng);
        var boundaries = Boundaries(full, ng, records);
        var path = Path.Combine(Path.GetTempPath(), $"nt-cut-{Guid.NewGuid():N}{Path.GetExtension(capture)}");
        try
        {
            for (int cut = 0; cut < full.Length; cut += stride)
            {
                File.WriteAllBytes(path, full[..cut]);
                var r = CaptureAnalyzer.Analyze([path], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
                if (cut < (ng ? 12 : 24))
                {
                    // Not even the file header: "could not read".
                    Assert.Equal("unreadable", r.Sources[0].Format);
                    Assert.Equal(2, CaptureAnalyzer.ExitCode(r));
                    continue;
                }
                int whole = records.Count(rec => rec.End <= cut);
                Assert.True(whole == r.Summary.Frames, $"cut {cut}: expected {whole} whole frames, read {r.Summary.Frames}");
                if (boundaries.Contains(cut))
                {
                    Assert.True(r.Sources[0].Complete, $"cut {cut} at a block boundary flagged incomplete");
                    Assert.Equal(0, CaptureAnalyzer.ExitCode(r));
                    continue;
                }
                Assert.False(r.Sources[0].Complete, $"cut {cut}: not flagged incomplete");
                var stop = Assert.Single(r.Problems, p => p.Severity == ProblemSeverity.Warning);
                Assert.Equal(whole + 1, stop.PacketNumber);
                if (whole < records.Count && cut > records[whole].Start)
                    Assert.True(records[whole].Start == stop.FileOffset, $"cut {cut}: problem at offset {stop.FileOffset}, frame starts at {records[whole].Start}: {stop.Message}");
                Assert.Equal(1, CaptureAnalyzer.ExitCode(r));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Truncated_capture_keeps_the_handshakes_before_the_cut_and_lowers_confidence()
    {
        var full = File.ReadAllBytes(SharedPcaps.File("chrissanders-http_espn_fail.pcapng"));
        var r = AnalyzeBytes(full[..(full.Length * 2 / 3)], ".pcapng");
        Assert.False(r.Sources[0].Complete);
        Assert.True(r.Summary.Frames > 300);
        Assert.NotEmpty(r.Handshakes);
        var intact = Assert.Single(AnalyzeBytes(full, ".pcapng").Findings, f => f.Kind == "syn-unanswered");
        var cut = Assert.Single(r.Findings, f => f.Kind == "syn-unanswered");
        Assert.Equal(0.7, intact.Confidence, 2);
        Assert.Equal(0.7 * 0.6, cut.Confidence, 2); // a cut file may just end before the answers
        Assert.Equal(1, CaptureAnalyzer.ExitCode(r));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("wrong-magic")]
    [InlineData("empty")]
    [InlineData("text")]
    public void Not_a_capture_exits_2_with_the_reason(string kind)
    {
        byte[] bytes = kind switch
        {
            "garbage" => new Random(1).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), 5000),
            "wrong-magic" => PcapFile.Build(LinkTypes.Ethernet, []).Select((b, i) => i == 0 ? (byte)0x00 : b).ToArray(),
            "empty" => [],
            _ => "GET / HTTP/1.1\r\nHost: example\r\n\r\n"u8.ToArray(),
        };
        var r = AnalyzeBytes(bytes);
        Assert.Equal(2, CaptureAnalyzer.ExitCode(r));
        var p = Assert.Single(r.Problems);
        Assert.Equal(ProblemSeverity.Error, p.Severity);
        Assert.Contains(kind == "empty" ? "empty" : "not a capture", p.Message);
    }

    [Fact]
    public void Missing_file_exits_2_but_other_files_are_still_analysed()
    {
        var good = SharedPcaps.File("chrissanders-latency1.pcapng");
        var r = CaptureAnalyzer.Analyze([good, "/nonexistent/x.pcap"], AnalyzeSettings.Default, null, TestContext.Current.CancellationToken);
        Assert.Equal(6, r.Summary.Frames);
        Assert.Single(r.Handshakes);
        Assert.Contains(r.Problems, p => p.Severity == ProblemSeverity.Error && p.Message.Contains("file not found"));
        Assert.Equal(2, CaptureAnalyzer.ExitCode(r));
    }

    [Fact]
    public void Pcap_with_unsupported_version_or_short_header_is_unreadable()
    {
        var file = PcapFile.Build(LinkTypes.Ethernet, Wrap(Handshake(), ip => EthIpv4(ip)));
        var badVersion = file.ToArray();
        badVersion[4] = 9;
        Assert.Equal(2, CaptureAnalyzer.ExitCode(AnalyzeBytes(badVersion)));
        Assert.Equal(2, CaptureAnalyzer.ExitCode(AnalyzeBytes(file[..20])));
    }

    [Fact]
    public void Absurd_caplen_stops_at_that_frame_with_its_number_and_offset()
    {
        var frames = Wrap(Handshake(), ip => EthIpv4(ip));
        var file = PcapFile.Build(LinkTypes.Ethernet, frames);
        long third = 24 + frames.Take(2).Sum(f => 16 + f.Data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan((int)third + 8), 0x7FFFFFF0);
        var r = AnalyzeBytes(file);
        Assert.Equal(2, r.Summary.Frames);
        var p = Assert.Single(r.Problems);
        Assert.Equal(3, p.PacketNumber);
        Assert.Equal(third, p.FileOffset);
        Assert.Contains("corrupt", p.Message);
        Assert.Equal(HandshakeOutcome.Unknown, Assert.Single(r.Handshakes).Outcome);
        Assert.Equal(1, CaptureAnalyzer.ExitCode(r));
    }

    [Theory]
    [InlineData(8u)]
    [InlineData(30u)]
    [InlineData(0xFFFFFFF0u)]
    public void Absurd_pcapng_block_length_stops_reading_there(uint length)
    {
        var f = new PcapngFile().Section().Interface(LinkTypes.Ethernet);
        var hs = Handshake();
        f.Enhanced(0, (ulong)(hs[0].Ns / 1000), EthIpv4(hs[0].Ip));
        int cut = f.ToArray().Length;
        f.Enhanced(0, (ulong)(hs[1].Ns / 1000), EthIpv4(hs[1].Ip));
        var bytes = f.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(cut + 4), length);
        var r = AnalyzeBytes(bytes, ".pcapng");
        Assert.Equal(1, r.Summary.Frames);
        var p = Assert.Single(r.Problems, p => p.Severity == ProblemSeverity.Warning);
        Assert.Equal(cut, p.FileOffset);
        Assert.Equal(2, p.PacketNumber);
        Assert.False(r.Sources[0].Complete);
    }

    [Fact]
    public void Pcapng_trailing_length_mismatch_is_reported_as_corrupt_framing()
    {
        var f = new PcapngFile().Section().Interface(LinkTypes.Ethernet);
        var hs = Handshake();
        foreach (var (ns, ip) in hs) f.Enhanced(0, (ulong)(ns / 1000), EthIpv4(ip));
        var bytes = f.ToArray();
        bytes[^1] ^= 0x40; // last block's trailing length
        var r = AnalyzeBytes(bytes, ".pcapng");
        Assert.Equal(5, r.Summary.Frames);
        Assert.Contains(r.Problems, p => p.Message.Contains("trailing length") && p.PacketNumber == 6);
    }

    [Fact]
    public void Packet_block_with_unknown_interface_or_oversized_caplen_is_skipped_and_reading_goes_on()
    {
        var hs = Handshake();
        var f = new PcapngFile().Section().Interface(LinkTypes.Ethernet);
        f.Enhanced(0, (ulong)(hs[0].Ns / 1000), EthIpv4(hs[0].Ip));
        f.Enhanced(5, (ulong)(hs[1].Ns / 1000), EthIpv4(hs[1].Ip)); // interface 5 does not exist
        int bad = f.ToArray().Length;
        f.Enhanced(0, (ulong)(hs[1].Ns / 1000), EthIpv4(hs[1].Ip));
        f.Enhanced(0, (ulong)(hs[2].Ns / 1000), EthIpv4(hs[2].Ip));
        var bytes = f.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bad + 8 + 12), 5000); // caplen beyond its block
        var r = AnalyzeBytes(bytes, ".pcapng");
        Assert.Equal(2, r.Summary.Frames);
        Assert.Contains(r.Problems, p => p.PacketNumber == 2 && p.Message.Contains("interface 5"));
        Assert.Contains(r.Problems, p => p.PacketNumber == 3 && p.FileOffset == bad && p.Message.Contains("5000"));
        Assert.True(r.Sources[0].Complete); // framing stayed sound: the rest of the file was read
        Assert.Equal(HandshakeOutcome.Unanswered, Assert.Single(r.Handshakes).Outcome); // its SYN-ACK was the skipped frame
    }

    [Fact]
    public void Snaplen_cut_packets_are_counted_not_malformed_and_keep_what_was_captured()
    {
        // Snaplen 50: Ethernet 14 + IPv4 20 + 16 bytes of TCP: ports, seq, ack and flags survive, the rest is cut.
        var frames = Handshake().Select(p =>
        {
            var e = EthIpv4(p.Ip);
            return new Frame(p.Ns, e[..Math.Min(50, e.Length)], e.Length);
        }).ToList();
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Ethernet, frames, snaplen: 50));
        Assert.Equal(0, r.Summary.Malformed);
        AssertOneCleanHandshake(r);
        Assert.Equal(0, CaptureAnalyzer.ExitCode(r));

        // Snaplen 40: only the ports of TCP survive; the frames count as TCP but are cut before the flags.
        var tiny = Handshake().Select(p => { var e = EthIpv4(p.Ip); return new Frame(p.Ns, e[..40], e.Length); });
        var r2 = AnalyzeBytes(PcapFile.Build(LinkTypes.Ethernet, tiny, snaplen: 40));
        Assert.Equal(6, r2.Summary.Tcp);
        Assert.Equal(6, r2.Summary.CutBySnaplen);
        Assert.Equal(0, r2.Summary.Syn);
        Assert.Equal(0, r2.Summary.Malformed);
        Assert.Contains(r2.Problems, p => p.Severity == ProblemSeverity.Info && p.Message.Contains("snaplen"));
        Assert.Equal(0, CaptureAnalyzer.ExitCode(r2));
    }

    [Fact]
    public void Malformed_headers_are_counted_listed_with_frame_number_and_do_not_stop_the_analysis()
    {
        var hs = Handshake();
        var badIhl = hs[0].Ip.ToArray();
        badIhl[0] = 0x43; // IHL 12 bytes
        var badTcp = Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(1, 2, 3, 4, 0x10, dataOffsetWords: 3));
        var frames = new List<Frame> { new(T0 - 10, badIhl), new(T0 - 5, badTcp) };
        frames.AddRange(hs.Select(p => new Frame(p.Ns, p.Ip)));
        var r = AnalyzeBytes(PcapFile.Build(LinkTypes.Raw, frames));
        Assert.Equal(2, r.Summary.Malformed);
        Assert.Contains(r.Problems, p => p.PacketNumber == 1 && p.Message.Contains("IPv4 header length"));
        Assert.Contains(r.Problems, p => p.PacketNumber == 2 && p.Message.Contains("TCP header length"));
        Assert.Contains(r.Handshakes, h => h.Outcome == HandshakeOutcome.Established);
        Assert.Equal(1, CaptureAnalyzer.ExitCode(r));
    }
}
