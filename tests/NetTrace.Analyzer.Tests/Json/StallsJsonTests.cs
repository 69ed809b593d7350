using System.Text;
using System.Text.Json;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Output;
using Xunit;

namespace NetTrace.Analyzer.Tests.Json;

/// <summary>The optional "stalls" member of the analysis JSON: every field survives write → read, and files without it still read.</summary>
public class StallsJsonTests
{
    private const double T0 = 1_780_000_000.123456;

    private static AnalysisResult WithStalls(StallAnalysis? stalls) => new()
    {
        Sources = [new SourceInfo("/tmp/x.pcapng", "pcapng-le", ["ETHERNET"], 10, null, null, true, [])],
        Summary = new CaptureSummary { Frames = 10 },
        Handshakes = [], IcmpEchoes = [], Flows = [], Problems = [],
        Findings = [new Finding { Kind = "rx-queue-stall", Title = "stalls on RX queue 3", Severity = Severity.High, Confidence = 0.9, Remediation = "r" }],
        Stalls = stalls,
    };

    /// <summary>Every member set to a distinct, non-default value (times and delays at the precision the JSON keeps).</summary>
    internal static StallAnalysis Full() => new()
    {
        Stalls =
        [
            new StallWindow
            {
                Start = T0, End = T0 + 0.412001, MaxDelayMs = 411.987, Source = "live", Scope = StallScope.OneCpu, Cpu = 1, RxQueue = 3,
                PacketsDelayed = 57, IcmpDelayed = 41, TcpDelayed = 16,
                Flows = ["10.0.0.1 → 10.0.0.2 icmp", "10.0.0.1:40000 → 10.0.0.2:80 \"<script>\""],
                HeldBy = "cat <script> (pid 4242)", RanIn = "ksoftirqd/1",
            },
            new StallWindow
            {
                Start = T0 + 10, End = T0 + 10.25, MaxDelayMs = 250.5, Source = "capture", Scope = StallScope.AllCpus,
                PacketsDelayed = 3, IcmpDelayed = 0, TcpDelayed = 3, Flows = [],
            },
            new StallWindow { Start = T0 + 20, End = T0 + 20.5, MaxDelayMs = 1.001, Source = "capture", Scope = StallScope.Unknown, RxQueue = 0 },
        ],
        Queues =
        [
            new RxQueueAttribution { Queue = 3, Flows = 12, IcmpFlows = 2, TcpFlows = 10, Packets = 123_456_789_012, DelayedPackets = 57, Stalls = 4 },
            new RxQueueAttribution { Queue = 0, Flows = 5, IcmpFlows = 0, TcpFlows = 5, Packets = 900, DelayedPackets = 0, Stalls = 0 },
        ],
        CpuDelay = [new CpuDelaySample(0, T0, T0 + 1, 0.012, 1500), new CpuDelaySample(1, T0, T0 + 1, 411.987, 1498)],
        Timeline =
        [
            new LatencyPoint { Time = T0 + 0.000001, LatencyMs = 0.081, Kind = "icmp", RxQueue = 3, Cpu = 1, InStall = false },
            new LatencyPoint { Time = T0 + 0.2, LatencyMs = 300.125, Kind = "tcp-syn", RxQueue = 3, InStall = true },
            new LatencyPoint { Time = T0 + 0.3, LatencyMs = 0.5, Kind = "rx-packet", Cpu = 0 },
        ],
        Rss = new RssSettingsInfo("ethtool -x eth0 (saved)", 8, "default (round robin)"),
    };

    private static AnalysisResult RoundTrip(AnalysisResult r) =>
        JsonResultReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(JsonResultWriter.ToJson(r))));

    [Fact]
    public void Every_stall_field_survives_write_and_read()
    {
        var want = Full();
        var got = RoundTrip(WithStalls(want)).Stalls;
        Assert.NotNull(got);

        Assert.Equal(want.Stalls.Count, got.Stalls.Count);
        for (int i = 0; i < want.Stalls.Count; i++)
        {
            var (a, b) = (want.Stalls[i], got.Stalls[i]);
            Assert.Equal(a.Start, b.Start);
            Assert.Equal(a.End, b.End);
            Assert.Equal(a.MaxDelayMs, b.MaxDelayMs);
            Assert.Equal(a.Source, b.Source);
            Assert.Equal(a.Scope, b.Scope);
            Assert.Equal(a.Cpu, b.Cpu);
            Assert.Equal(a.RxQueue, b.RxQueue);
            Assert.Equal(a.PacketsDelayed, b.PacketsDelayed);
            Assert.Equal(a.IcmpDelayed, b.IcmpDelayed);
            Assert.Equal(a.TcpDelayed, b.TcpDelayed);
            Assert.Equal(a.Flows, b.Flows);
            Assert.Equal(a.HeldBy, b.HeldBy);
            Assert.Equal(a.RanIn, b.RanIn);
        }
        Assert.Equal(want.Queues, got.Queues);           // records of scalars: value equality covers every field
        Assert.Equal(want.CpuDelay, got.CpuDelay);
        Assert.Equal(want.Timeline, got.Timeline);
        Assert.Equal(want.Rss, got.Rss);
    }

    [Fact]
    public void Written_again_after_reading_the_json_is_byte_identical()
    {
        var json = JsonResultWriter.ToJson(WithStalls(Full()));
        Assert.Equal(json, JsonResultWriter.ToJson(RoundTrip(WithStalls(Full()))));
    }

    [Fact]
    public void Stalls_json_uses_the_documented_names_and_units()
    {
        using var doc = JsonDocument.Parse(JsonResultWriter.ToJson(WithStalls(Full())));
        Assert.Equal(JsonResultWriter.SchemaVersion, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        var s = doc.RootElement.GetProperty("stalls");
        var w0 = s.GetProperty("windows")[0];
        Assert.Equal("one-cpu", w0.GetProperty("scope").GetString());
        Assert.Equal("all-cpus", s.GetProperty("windows")[1].GetProperty("scope").GetString());
        Assert.Equal("1780000000.123456", w0.GetProperty("start").GetRawText());
        Assert.Equal("411.987", w0.GetProperty("maxDelayMs").GetRawText());
        Assert.Equal("cat <script> (pid 4242)", w0.GetProperty("heldBy").GetString());
        // Optional members are omitted, not null.
        var w1 = s.GetProperty("windows")[1];
        Assert.False(w1.TryGetProperty("cpu", out _));
        Assert.False(w1.TryGetProperty("heldBy", out _));
        Assert.False(s.GetProperty("timeline")[0].TryGetProperty("inStall", out _));
        Assert.True(s.GetProperty("timeline")[1].GetProperty("inStall").GetBoolean());
        Assert.Equal(123_456_789_012, s.GetProperty("queues")[0].GetProperty("packets").GetInt64());
        Assert.Equal(8, s.GetProperty("rss").GetProperty("queues").GetInt32());
    }

    [Fact]
    public void No_stall_analysis_writes_no_stalls_member_and_reads_back_as_null()
    {
        var json = JsonResultWriter.ToJson(WithStalls(null));
        Assert.DoesNotContain("\"stalls\"", json);
        Assert.Null(RoundTrip(WithStalls(null)).Stalls);
    }

    [Fact]
    public void Empty_stall_analysis_stays_distinct_from_none()
    {
        var got = RoundTrip(WithStalls(new StallAnalysis())).Stalls;
        Assert.NotNull(got);
        Assert.Empty(got.Stalls);
        Assert.Empty(got.Timeline);
        Assert.Null(got.Rss);
    }

    /// <summary>A schemaVersion 1 file as written before stall analysis existed (no "stalls" member) still reads.</summary>
    [Fact]
    public void Analysis_json_from_before_stalls_existed_still_reads()
    {
        const string old = """
        {
          "schemaVersion": 1,
          "tool": "nettrace 0.1.0",
          "sources": [ { "path": "a.pcap", "format": "pcap-usec-le", "linkTypes": ["ETHERNET"], "frames": 3,
                         "firstTime": 1324071333.493287, "lastTime": 1324071334.000000, "complete": true, "comments": [] } ],
          "summary": { "frames": 3, "tcp": 3, "syn": 1, "synAck": 1 },
          "handshakes": [ { "client": "10.0.0.1:40000", "server": "10.0.0.2:80", "synTime": 1324071333.493287,
                            "synAckRttMicros": 812.500, "ackRttMicros": 900.000, "synRetransmits": 0,
                            "synRetransmitGapsMicros": [], "outcome": "established" } ],
          "icmpEchoes": [], "flows": [], "findings": [], "problems": []
        }
        """;
        var r = JsonResultReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(old)), "old.json");
        Assert.Null(r.Stalls);
        Assert.Single(r.Handshakes);
        Assert.Equal(812.5, r.Handshakes[0].SynAckRttMicros);
        Assert.Equal("0.1.0", r.ToolVersion);
    }

    [Fact]
    public void Stall_window_without_its_start_is_refused_with_the_field_name()
    {
        var json = JsonResultWriter.ToJson(WithStalls(Full()));
        var broken = json.Replace("\"start\": 1780000000.123456,", "", StringComparison.Ordinal);
        Assert.NotEqual(json, broken);
        var e = Assert.Throws<InvalidDataException>(() => JsonResultReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(broken)), "b.json"));
        Assert.Contains("stalls.windows[].start", e.Message);
    }

    [Fact]
    public void A_200k_point_timeline_writes_and_reads_back_in_bounded_time()
    {
        var rng = new Random(5);
        var stalls = new StallAnalysis
        {
            Timeline = Enumerable.Range(0, 200_000).Select(i => new LatencyPoint
            {
                Time = Math.Round(T0 + i * 0.001, 6), LatencyMs = Math.Round(0.05 + rng.NextDouble(), 3), Kind = i % 3 == 0 ? "tcp-syn" : "icmp",
                RxQueue = i % 8, InStall = i % 97 == 0,
            }).ToList(),
            CpuDelay = Enumerable.Range(0, 64 * 200).Select(i => new CpuDelaySample(i % 64, T0 + i / 64, T0 + i / 64 + 1, 0.02, 1000)).ToList(),
        };
        var r = WithStalls(stalls);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var ms = new MemoryStream();
        JsonResultWriter.Write(r, ms, indented: false);
        var write = sw.Elapsed;
        ms.Position = 0;
        sw.Restart();
        var back = JsonResultReader.Read(ms, "big.json").Stalls!;
        var read = sw.Elapsed;
        TestContext.Current.TestOutputHelper?.WriteLine($"200k timeline points + 12.8k CPU samples: {ms.Length / 1048576.0:0.0} MB compact, write {write.TotalMilliseconds:N0} ms, read {read.TotalMilliseconds:N0} ms");
        Assert.Equal(stalls.Timeline, back.Timeline);
        Assert.Equal(stalls.CpuDelay, back.CpuDelay);
        Assert.True(ms.Length < 20 * 1048576, $"{ms.Length:N0} bytes");
        Assert.True(write + read < TimeSpan.FromSeconds(10), $"write {write}, read {read}");
    }
}
