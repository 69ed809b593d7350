using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Inputs;
using NetTrace.Analyzer.Tests.Oracle;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Analyzer.Tests.Readers;

/// <summary>Our readers against libpcap (through SharpPcap) on every shared capture libpcap can read.</summary>
public class LibpcapCrossCheckTests
{
    public static TheoryData<string> Captures => new(OracleFile.Captures());

    private static List<(long Ns, int Caplen, int Len, int LinkType)> ReadAll(IPacketSource s)
    {
        var list = new List<(long, int, int, int)>();
        while (s.TryRead(out var f)) list.Add((f.TimestampNs, f.Data.Length, f.OriginalLength, f.LinkType));
        return list;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Frames_timestamps_and_lengths_agree_with_libpcap(string capture)
    {
        var path = SharedPcaps.File(capture);
        List<(long Ns, int Caplen, int Len, int LinkType)> ours;
        int snaplen = int.MaxValue;
        using (var native = PcapngReader.IsPcapngMagic(File.ReadAllBytes(path).AsSpan(0, 4)) ? (IPacketSource)new PcapngReader(path) : new PcapReader(path))
        {
            ours = ReadAll(native);
            if (native is PcapReader pcap) snaplen = pcap.Snaplen;
        }

        if (capture == "pcapplusplus-many_interfaces-1.pcapng")
        {
            // libpcap stops at the first packet of an interface whose link type differs from the first one's
            // (here: frame 1, on the NULL interface); we read all 64 frames.
            using (var lib = new LibpcapPacketSource(path))
            {
                Assert.Empty(ReadAll(lib));
                Assert.False(lib.Complete);
                Assert.Contains(lib.Problems, p => p.Message.Contains("different from the type of the first interface"));
            }
            Assert.Equal(64, ours.Count);
            Assert.Equal([1, 0], ours.Select(f => f.LinkType).Distinct().Order().Reverse());
            return;
        }

        List<(long Ns, int Caplen, int Len, int LinkType)> theirs;
        using (var lib = new LibpcapPacketSource(path)) theirs = ReadAll(lib);
        Assert.Equal(theirs.Count, ours.Count);
        for (int i = 0; i < ours.Count; i++)
        {
            Assert.True(theirs[i].Ns == ours[i].Ns, $"{capture} frame {i + 1}: libpcap {theirs[i].Ns} ns, ours {ours[i].Ns} ns");
            // libpcap clamps a caplen above the file's snaplen to the snaplen (zeek-tcp-truncated-header.pcap has
            // 74-byte records under a snaplen of 68); we keep the bytes that are in the file, as tshark does.
            Assert.Equal(theirs[i].Caplen, Math.Min(ours[i].Caplen, snaplen));
            Assert.Equal(theirs[i].Len, ours[i].Len);
        }
    }

    [Fact]
    public void Analysis_through_libpcap_gives_the_same_summary_and_handshakes()
    {
        var ours = OracleAgreementTests.Analyze("zeek-ssh.pcap");
        var lib = OracleAgreementTests.Analyze("zeek-ssh.pcap", reader: "libpcap");
        Assert.Equal("libpcap", lib.Sources[0].Format);
        Assert.Equal(ours.Summary, lib.Summary);
        Assert.Equal(ours.Handshakes.Select(h => (h.Client, h.AckRttMicros)), lib.Handshakes.Select(h => (h.Client, h.AckRttMicros)));
    }
}
