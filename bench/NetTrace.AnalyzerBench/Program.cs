using System.Diagnostics;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Decode;

// analyzer-bench --stage read|decode|analyze FILE [--closed-flow-timeout SECONDS] [--flow-idle-timeout SECONDS]
// Stages nest: read = our pcap/pcapng reader alone; decode = read + header decoding of every frame;
// analyze = the whole analyzer (decode + TCP streams, handshakes, echoes, flows, findings), as `nettrace analyze` runs it
// minus output. The difference between stages is the cost of the layer added. One key=value line on stdout.
// The timeouts override AnalyzeSettings' flow expiry, to measure what the flow table's retention costs.
const string Usage = "usage: analyzer-bench --stage read|decode|analyze FILE [--closed-flow-timeout S] [--flow-idle-timeout S]";
if (args.Length < 3 || args.Length % 2 == 0 || args[0] != "--stage" || args[1] is not ("read" or "decode" or "analyze"))
{
    Console.Error.WriteLine(Usage);
    return 64;
}
string stage = args[1], path = args[2];
var settings = AnalyzeSettings.Default;
for (int i = 3; i < args.Length; i += 2)
{
    if (!double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out double value) || value <= 0)
    {
        Console.Error.WriteLine(Usage);
        return 64;
    }
    settings = args[i] switch
    {
        "--closed-flow-timeout" => settings with { ClosedFlowTimeout = TimeSpan.FromSeconds(value) },
        "--flow-idle-timeout" => settings with { FlowIdleTimeout = TimeSpan.FromSeconds(value) },
        _ => null!,
    };
    if (settings is null) { Console.Error.WriteLine(Usage); return 64; }
}

long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
var clock = Stopwatch.StartNew();
long frames = 0;
string extra = "";

if (stage == "analyze")
{
    var r = CaptureAnalyzer.Analyze([path], settings, null, CancellationToken.None);
    var s = r.Summary;
    frames = s.Frames;
    extra = $" tcpStreams={s.TcpStreams} syn={s.Syn} synAck={s.SynAck} rst={s.Rst} synRetransmits={s.SynRetransmits}" +
            $" malformed={s.Malformed} handshakes={r.Handshakes.Count} established={r.Handshakes.Count(h => h.Outcome == NetTrace.Analyzer.Model.HandshakeOutcome.Established)}" +
            $" icmpEchoes={r.IcmpEchoes.Count} flows={r.Flows.Count} problems={r.Problems.Count}";
}
else
{
    Span<byte> head = stackalloc byte[4];
    using (var f = File.OpenRead(path)) f.ReadExactly(head);
    using IPacketSource source = PcapngReader.IsPcapngMagic(head) ? new PcapngReader(path) : new PcapReader(path);
    var info = new PacketInfo();
    long tcp = 0, bytes = 0;
    while (source.TryRead(out var frame))
    {
        frames++;
        bytes += frame.Data.Length;
        if (stage == "decode")
        {
            PacketDecoder.Decode(frame.LinkType, frame.Data, ref info);
            if ((info.Seen & Seen.Tcp) != 0) tcp++;
        }
    }
    extra = stage == "decode" ? $" tcp={tcp}" : $" bytes={bytes}";
}

clock.Stop();
long allocated = GC.GetTotalAllocatedBytes(precise: true) - alloc0;
double seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine(
    $"stage={stage} frames={frames} seconds={seconds:F3} packets_per_second={frames / seconds:F0}" +
    $" allocated_bytes={allocated} allocated_bytes_per_packet={(double)allocated / Math.Max(1, frames):F2}" +
    $" gc0={GC.CollectionCount(0) - gc0} gc1={GC.CollectionCount(1) - gc1} gc2={GC.CollectionCount(2) - gc2}" +
    $" peak_working_set_kb={Process.GetCurrentProcess().PeakWorkingSet64 / 1024}{extra}");
return 0;
