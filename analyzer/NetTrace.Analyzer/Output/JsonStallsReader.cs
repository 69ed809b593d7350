using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer.Output;

/// <summary>
/// Shapes of the analysis JSON's optional "stalls" member (written by <see cref="JsonStallsWriter"/>), read back
/// into <see cref="StallAnalysis"/>. Missing lists read as empty; a window, queue or point without its
/// identifying fields is refused with the field's name, like the rest of the document.
/// </summary>
internal static class JsonStallsReader
{
    internal sealed class StallsDto
    {
        public List<WindowDto>? Windows { get; set; }
        public List<QueueDto>? Queues { get; set; }
        public List<CpuDelayDto>? CpuDelay { get; set; }
        public List<PointDto>? Timeline { get; set; }
        public RssDto? Rss { get; set; }

        public StallAnalysis ToModel() => new()
        {
            Stalls = (Windows ?? []).Select(w => w.ToModel()).ToList(),
            Queues = (Queues ?? []).Select(q => q.ToModel()).ToList(),
            CpuDelay = (CpuDelay ?? []).Select(c => c.ToModel()).ToList(),
            Timeline = (Timeline ?? []).Select(p => p.ToModel()).ToList(),
            Rss = Rss is null ? null : new RssSettingsInfo(Rss.KeySource ?? "unknown", Rss.Queues, Rss.IndirectionSource ?? "unknown"),
        };
    }

    internal sealed class WindowDto
    {
        public double? Start { get; set; }
        public double? End { get; set; }
        public double? MaxDelayMs { get; set; }
        public string? Source { get; set; }
        public string? Scope { get; set; }
        public int? Cpu { get; set; }
        public int? RxQueue { get; set; }
        public int PacketsDelayed { get; set; }
        public int IcmpDelayed { get; set; }
        public int TcpDelayed { get; set; }
        public List<string>? Flows { get; set; }
        public string? HeldBy { get; set; }
        public string? RanIn { get; set; }

        public StallWindow ToModel() => new()
        {
            Start = Start ?? throw Missing("stalls.windows[].start"),
            End = End ?? throw Missing("stalls.windows[].end"),
            MaxDelayMs = MaxDelayMs ?? double.NaN,
            Source = JsonResultReader.Req(Source, "stalls.windows[].source"),
            Scope = JsonStallsWriter.ParseScope(Scope),
            Cpu = Cpu, RxQueue = RxQueue,
            PacketsDelayed = PacketsDelayed, IcmpDelayed = IcmpDelayed, TcpDelayed = TcpDelayed,
            Flows = Flows ?? [], HeldBy = HeldBy, RanIn = RanIn,
        };
    }

    internal sealed class QueueDto
    {
        public int? Queue { get; set; }
        public int Flows { get; set; }
        public int IcmpFlows { get; set; }
        public int TcpFlows { get; set; }
        public long Packets { get; set; }
        public long DelayedPackets { get; set; }
        public int Stalls { get; set; }

        public RxQueueAttribution ToModel() => new()
        {
            Queue = Queue ?? throw Missing("stalls.queues[].queue"),
            Flows = Flows, IcmpFlows = IcmpFlows, TcpFlows = TcpFlows,
            Packets = Packets, DelayedPackets = DelayedPackets, Stalls = Stalls,
        };
    }

    internal sealed class CpuDelayDto
    {
        public int? Cpu { get; set; }
        public double? Start { get; set; }
        public double? End { get; set; }
        public double? MaxDelayMs { get; set; }
        public long Count { get; set; }

        public CpuDelaySample ToModel() => new(
            Cpu ?? throw Missing("stalls.cpuDelay[].cpu"),
            Start ?? throw Missing("stalls.cpuDelay[].start"),
            End ?? throw Missing("stalls.cpuDelay[].end"),
            MaxDelayMs ?? double.NaN, Count);
    }

    internal sealed class PointDto
    {
        public double? Time { get; set; }
        public double? LatencyMs { get; set; }
        public string? Kind { get; set; }
        public int? RxQueue { get; set; }
        public int? Cpu { get; set; }
        public bool InStall { get; set; }

        public LatencyPoint ToModel() => new()
        {
            Time = Time ?? throw Missing("stalls.timeline[].time"),
            LatencyMs = LatencyMs ?? double.NaN,
            Kind = JsonResultReader.Req(Kind, "stalls.timeline[].kind"),
            RxQueue = RxQueue, Cpu = Cpu, InStall = InStall,
        };
    }

    internal sealed class RssDto
    {
        public string? KeySource { get; set; }
        public int Queues { get; set; }
        public string? IndirectionSource { get; set; }
    }

    private static MissingFieldException Missing(string field) => new($"required field {field} is missing");
}
