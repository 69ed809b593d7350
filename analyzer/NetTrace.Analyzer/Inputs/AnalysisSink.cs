using System.Diagnostics;
using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Flows;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Inputs;

/// <summary>
/// What an <see cref="IInputReader"/> feeds while reading one input. Frames go through the packet analysis
/// (decode, TCP streams, echoes); recordings that already know facts add them directly.
/// </summary>
public sealed class AnalysisSink
{
    private readonly Accumulator _acc;
    private readonly PacketAnalyzer _packets;
    private readonly IProgress<AnalyzeProgress>? _progress;
    private readonly int _fileIndex, _fileCount;
    private readonly Stopwatch _clock;
    private long _lastReportTicks;

    internal AnalysisSink(string path, Accumulator acc, AnalyzeSettings settings, IProgress<AnalyzeProgress>? progress,
        int fileIndex, int fileCount, Stopwatch clock, CancellationToken ct)
    {
        Path = path;
        _acc = acc;
        Settings = settings;
        _packets = new PacketAnalyzer(path, acc, settings);
        _progress = progress;
        _fileIndex = fileIndex;
        _fileCount = fileCount;
        _clock = clock;
        CancellationToken = ct;
    }

    public string Path { get; }
    public AnalyzeSettings Settings { get; }
    public CancellationToken CancellationToken { get; }

    /// <summary>Frames fed through <see cref="AddPacket"/> so far.</summary>
    public long Packets => _packets.Frames;
    public long? FirstPacketNs => _packets.FirstNs;
    public long LastPacketNs => _packets.LastNs;
    internal int LiveFlows => _packets.LiveFlows;

    public void AddPacket(in RawFrame frame) => _packets.Process(frame);
    public void AddHandshake(Handshake h) => _acc.Handshakes.Add(h);
    public void AddIcmpEcho(IcmpEcho e) => _acc.IcmpEchoes.Add(e);
    public void AddFlow(FlowStats f) => _acc.Flows.Add(f);
    public void AddFinding(Finding f) => _acc.Findings.Add(f);
    public void AddProblem(InputProblem p) => _acc.Problems.Add(p);
    /// <summary>Receive-path stalls one input found (several inputs' analyses are merged into the result).</summary>
    public void AddStalls(StallAnalysis s) => _acc.Stalls.Add(s);
    /// <summary>Counts a recording knows without packets (added to the summary).</summary>
    public void AddCounts(CaptureSummary s) => _acc.Add(s);

    /// <summary>Call every few thousand records; reports at most four times a second.</summary>
    public void ReportProgress(long bytesRead, long totalBytes, long records, bool final = false)
    {
        if (_progress is null) return;
        long now = _clock.ElapsedTicks;
        if (!final && now - _lastReportTicks < Stopwatch.Frequency / 4) return;
        _lastReportTicks = now;
        _progress.Report(new AnalyzeProgress(Path, _fileIndex, _fileCount, bytesRead, totalBytes, records, _clock.Elapsed, final));
    }

    internal void Complete() => _packets.Complete();
}
