using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Inputs;

/// <summary>Our own pcap and pcapng readers (the default).</summary>
public sealed class NativeCaptureInput : IInputReader
{
    public string Name => "native";

    public bool CanRead(string path, ReadOnlySpan<byte> head) => PcapReader.IsPcapMagic(head) || PcapngReader.IsPcapngMagic(head);

    public SourceInfo Read(string path, AnalysisSink sink, CancellationToken ct)
    {
        Span<byte> head = stackalloc byte[4];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        IPacketSource source = PcapngReader.IsPcapngMagic(head[..n]) ? new PcapngReader(path)
            : PcapReader.IsPcapMagic(head[..n]) ? new PcapReader(path)
            : throw new InvalidCaptureException($"{path}: neither pcap nor pcapng");
        using (source) return PacketPump.Run(source, sink, ct);
    }
}

/// <summary>Moves frames from a packet source into the sink and describes the source afterwards.</summary>
public static class PacketPump
{
    /// <summary>Unix nanoseconds as a time (every long fits: ±292 years around 1970 in 100 ns ticks).</summary>
    public static DateTimeOffset Time(long unixNs) => DateTimeOffset.UnixEpoch.AddTicks(unixNs / 100);

    public static SourceInfo Run(IPacketSource source, AnalysisSink sink, CancellationToken ct)
    {
        long frames = 0;
        bool cancelled = false;
        while (source.TryRead(out var frame))
        {
            sink.AddPacket(frame);
            if ((++frames & 4095) == 0)
            {
                sink.ReportProgress(source.Position, source.Length, frames);
                if (ct.IsCancellationRequested) { cancelled = true; break; }
            }
        }
        foreach (var p in source.Problems) sink.AddProblem(p);
        if (cancelled)
            sink.AddProblem(new InputProblem(sink.Path, ProblemSeverity.Warning, $"cancelled after frame {frames}; the rest of the file was not read", frames, source.Position));
        sink.ReportProgress(source.Position, source.Length, frames, final: true);
        return new SourceInfo(
            sink.Path,
            source.Format,
            source.LinkTypes.Select(LinkTypes.Name).ToList(),
            sink.Packets,
            sink.FirstPacketNs is long first ? Time(first) : null,
            sink.FirstPacketNs is not null ? Time(sink.LastPacketNs) : null,
            source.Complete && !cancelled,
            source.Comments.ToList());
    }
}
