using System.CommandLine;
using System.Diagnostics;
using NetTrace.CaptureGen;
using NetTrace.CaptureGen.Writers;

var output = new Option<FileInfo>("--out", "-o") { Description = "Capture file to write.", Required = true };
var packets = new Option<long?>("--packets", "-n") { Description = "Generate about this many packets, in whole connections (bench: default 5,000,000; longflows: 1,000,000)." };
var profileName = new Option<string>("--profile") { Description = "bench (a busy node), demo (the shipped sample: ~300 connects, frequent faults), longflows (few connections, thousands of requests each), or stall-sender / stall-receiver (story 1: RX-queue stalls and pauses at a responder, captured at the sender or at the responder; truth lists the windows).", DefaultValueFactory = _ => "bench" };
var format = new Option<CaptureFormat>("--format") { Description = "pcapng or pcap.", DefaultValueFactory = _ => CaptureFormat.PcapNg };
var nanos = new Option<bool>("--nanos") { Description = "Nanosecond timestamps (default microseconds)." };
var seed = new Option<ulong?>("--seed") { Description = "Random seed; the same seed gives the same file." };
var snap = new Option<int?>("--snaplen") { Description = "Cut captured frames to this length (default 262144: whole frames)." };
var truth = new Option<FileInfo?>("--truth") { Description = "Where to write the JSON of what was generated (default: <out>.truth.json)." };

var root = new RootCommand(
    "capturegen — writes a realistic synthetic capture of a Kubernetes node's traffic, deterministic per seed.\n" +
    "Examples:\n  capturegen -o bench/out/5m.pcapng --packets 5000000\n  capturegen -o samples/demo.pcapng --profile demo")
{ output, packets, profileName, format, nanos, seed, snap, truth };

root.SetAction(pr =>
{
    var name = pr.GetValue(profileName)!;
    if (name is "stall-sender" or "stall-receiver")
        return NetTrace.CaptureGen.Stall.StallCommand.Run(pr.GetValue(output)!, pr.GetValue(truth), name == "stall-receiver", pr.GetValue(seed) ?? 1, pr.GetValue(nanos));
    TrafficProfile profile = name switch
    {
        "bench" => TrafficProfile.Bench(pr.GetValue(packets) ?? 5_000_000),
        "demo" => TrafficProfile.Demo(),
        "longflows" => TrafficProfile.LongFlows(pr.GetValue(packets) ?? 1_000_000),
        _ => throw new ArgumentException($"unknown profile '{name}' (bench, demo)"),
    };
    if (pr.GetValue(packets) is long n && name == "demo") profile = profile with { TargetPackets = n, TargetConnections = null };
    if (pr.GetValue(seed) is ulong s) profile = profile with { Seed = s };
    if (pr.GetValue(snap) is int sl) profile = profile with { SnapLength = sl };

    var file = pr.GetValue(output)!;
    file.Directory?.Create();
    var fmt = pr.GetValue(format);
    var clock = Stopwatch.StartNew();
    GenerationTruth result;
    using (var stream = CaptureWriters.OpenFile(file.FullName))
    using (var writer = CaptureWriters.Create(stream, fmt, pr.GetValue(nanos), profile.SnapLength, CaptureComment.For(profile)))
    {
        result = new TrafficGenerator(profile).Generate(writer, frames => Console.Error.Write($"\rcapturegen: {frames / 1_000_000}M frames"));
    }
    result.Format = fmt.ToString().ToLowerInvariant() + (pr.GetValue(nanos) ? "-nanos" : "");
    var truthFile = pr.GetValue(truth)?.FullName ?? file.FullName + ".truth.json";
    File.WriteAllText(truthFile, result.ToJson());
    Console.Error.WriteLine(
        $"\rcapturegen: {result.Frames:N0} frames, {result.FileBytes / 1e6:N1} MB, {result.TcpConnections:N0} TCP connects " +
        $"({result.SynRetransmits:N0} SYN retransmits), {result.IcmpEchoRequests:N0} pings, in {clock.Elapsed.TotalSeconds:N1} s " +
        $"({result.Frames / clock.Elapsed.TotalSeconds / 1e6:N2} M frames/s) -> {file.FullName}");
    return 0;
});

return root.Parse(args).Invoke();
